package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// geoJSON is the part of a GeoJSON FeatureCollection the maps need.
type geoJSON struct {
	Type     string       `json:"type"`
	Features []geoFeature `json:"features"`
}

type geoFeature struct {
	Type       string          `json:"type"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// regionGeo joins the polygons on the division code: properties.adcode (6
// digits) is the prefix of the registry's 12-digit code. Each feature's
// name becomes the registry's official name, which the chart data use, and
// the other properties are dropped. It returns the re-encoded GeoJSON (HTML
// escaped) and, per feature, the region code it joined to.
func regionGeo(raw []byte, regions map[string]Region) ([]byte, map[string]string, error) {
	var g geoJSON
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, nil, fmt.Errorf("cannot decode the map GeoJSON: %w", err)
	}
	byPrefix := map[string]Region{}
	for code, r := range regions {
		if r.Level == 3 && len(code) >= 6 {
			byPrefix[code[:6]] = r
		}
	}
	codes := map[string]string{}
	out := geoJSON{Type: g.Type}
	for _, f := range g.Features {
		ad := strings.TrimSuffix(fmt.Sprint(f.Properties["adcode"]), ".0")
		r, ok := byPrefix[ad]
		if !ok {
			continue // a polygon the registry does not know is not drawn
		}
		codes[r.Name] = r.Code
		out.Features = append(out.Features, geoFeature{Type: f.Type, Properties: map[string]any{"name": r.Name, "adcode": ad}, Geometry: f.Geometry})
	}
	if len(out.Features) == 0 {
		return nil, nil, errors.New("no feature of the map GeoJSON joins a county of the registry")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(out); err != nil {
		return nil, nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), codes, nil
}

// mapData returns the joined GeoJSON and the banners' risk bands on it.
func (b *builder) mapData() ([]byte, []mapItem, error) {
	regions := map[string]Region{}
	for k, v := range b.in.Regions {
		regions[k] = v
	}
	for _, c := range b.in.Children {
		regions[c.Code] = c
	}
	geo, codes, err := regionGeo(b.in.GeoJSON, regions)
	if err != nil {
		return nil, nil, err
	}
	byCode := map[string]Risk{}
	for _, r := range b.in.Risk {
		byCode[r.Region] = r
	}
	var items []mapItem
	for _, f := range sortedKeys(codes) {
		r, ok := byCode[codes[f]]
		if !ok {
			continue
		}
		items = append(items, mapItem{Name: f, Value: scoreValue(num1(r.Score)), Color: colorOf(r.Band), Band: r.Band})
	}
	return geo, items, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	// by code, so the order follows the registry
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && m[out[j]] < m[out[j-1]]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
