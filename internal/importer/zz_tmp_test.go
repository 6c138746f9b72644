package importer
import ("os";"testing")
func TestTmpDoc(t *testing.T){ b,_:=os.ReadFile("/tmp/ex.yaml"); if _,err:=LoadMapping(bytesReader(b),"ex");err!=nil{t.Fatal(err)} }
func bytesReader(b []byte) *os.File { f,_:=os.CreateTemp("","x"); f.Write(b); f.Seek(0,0); return f }
