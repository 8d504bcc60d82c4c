package storage

import (
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestForbiddenImports keeps storage free of networks, Raft and Kafka
// requests, and of the layers above it.
func TestForbiddenImports(t *testing.T) {
	forbidden := []string{"net", "net/http", "github.com/hashicorp/raft", "github.com/twmb/franz-go", "github.com/IBM/sarama",
		"github.com/gregor-streaming/gregor/internal/server", "github.com/gregor-streaming/gregor/internal/handler",
		"github.com/gregor-streaming/gregor/internal/replica", "github.com/gregor-streaming/gregor/internal/cluster",
		"github.com/gregor-streaming/gregor/internal/broker"}
	ents, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), e.Name(), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			for _, bad := range forbidden {
				if p == bad || strings.HasPrefix(p, bad+"/") {
					t.Errorf("%s imports %s", e.Name(), p)
				}
			}
		}
	}
}
