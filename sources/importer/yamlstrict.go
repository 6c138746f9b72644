package importer

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// stringList is a YAML value that may be written as one string or as a list
// of strings ("format: date" or "format: [date, us_date]").
type stringList []string

var stringListType = reflect.TypeOf(stringList(nil))

// maxAliasDepth bounds alias expansion, so that a file with self-referencing
// anchors cannot make the decoder recurse forever.
const maxAliasDepth = 32

// decodeStrict decodes a YAML document into out (a pointer to a struct). It
// walks the node tree itself instead of relying on yaml's reflection, so that
// every error names the full key path ("fields.summary.from: unknown key")
// and the line, and so that duplicate keys are errors too.
func decodeStrict(doc *yaml.Node, out any) error {
	n := doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return fmt.Errorf("empty document")
		}
		n = n.Content[0]
	}
	return decodeNode(n, reflect.ValueOf(out).Elem(), "", 0)
}

// describe names a path for an error message; the top level has no name.
func describe(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func decodeNode(n *yaml.Node, v reflect.Value, path string, depth int) error {
	if n.Kind == yaml.AliasNode {
		if depth >= maxAliasDepth {
			return fmt.Errorf("%s: aliases nested too deeply (line %d)", describe(path), n.Line)
		}
		return decodeNode(n.Alias, v, path, depth+1)
	}
	if v.Type() == stringListType {
		switch n.Kind {
		case yaml.ScalarNode:
			v.Set(reflect.ValueOf(stringList{n.Value}))
			return nil
		case yaml.SequenceNode:
			list := make(stringList, 0, len(n.Content))
			for i, item := range n.Content {
				if item.Kind == yaml.AliasNode && depth < maxAliasDepth {
					item = item.Alias
				}
				if item.Kind != yaml.ScalarNode {
					return fmt.Errorf("%s[%d]: want a text value (line %d)", path, i, item.Line)
				}
				list = append(list, item.Value)
			}
			v.Set(reflect.ValueOf(list))
			return nil
		}
		return fmt.Errorf("%s: want a text value or a list of them (line %d)", describe(path), n.Line)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeNode(n, p.Elem(), path, depth); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping of keys (line %d)", describe(path), n.Line)
		}
		fields := map[string]int{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag != "" && tag != "-" {
				fields[tag] = i
			}
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				return fmt.Errorf("%s: duplicate key (lines %d and %d)", kp, first, k.Line)
			}
			seen[k.Value] = k.Line
			idx, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%s: unknown key (line %d)", kp, k.Line)
			}
			if err := decodeNode(val, v.Field(idx), kp, depth); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want a mapping (line %d)", describe(path), n.Line)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: keys must be text (line %d)", describe(path), k.Line)
			}
			kp := join(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				return fmt.Errorf("%s: duplicate key (lines %d and %d)", kp, first, k.Line)
			}
			seen[k.Value] = k.Line
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := decodeNode(val, elem, kp, depth); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(k.Value), elem)
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s: want a list (line %d)", describe(path), n.Line)
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := decodeNode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i), depth); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: want a text value (line %d)", describe(path), n.Line)
		}
		if n.Tag == "!!null" {
			v.SetString("")
			return nil
		}
		v.SetString(n.Value)
		return nil
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: want true or false (line %d)", describe(path), n.Line)
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("%s: %q is not true or false (line %d)", describe(path), n.Value, n.Line)
		}
		v.SetBool(b)
		return nil
	case reflect.Int:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: want a whole number (line %d)", describe(path), n.Line)
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number (line %d)", describe(path), n.Value, n.Line)
		}
		v.SetInt(int64(i))
		return nil
	}
	// A broken invariant: the spec types only use the kinds above.
	panic(fmt.Sprintf("decodeNode: unsupported kind %s at %s", v.Kind(), path))
}
