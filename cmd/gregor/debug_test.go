package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// TestDebugLogDumpsWhatWasProduced writes records through a real broker and
// reads its partition directory back with `gregor debug log` and
// `gregor debug segment`.
func TestDebugLogDumpsWhatWasProduced(t *testing.T) {
	b := testutil.NewBroker(t)
	cl := b.Client(t, kgo.DefaultProduceTopic("dumped"), kgo.AllowAutoTopicCreation())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if err := cl.ProduceSync(ctx, kgo.StringRecord("hello")).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	b.Stop()
	dir := b.DataDir() + "/dumped-0"
	out, err := runCLI(t, "", "", "debug", "log", dir)
	if err != nil {
		t.Fatalf("debug log: %v\n%s", err, out)
	}
	for _, want := range []string{"offset=0..0", "offset=2..2", "crc=ok", "3 batches, 3 records", "clean-shutdown=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log output lacks %q:\n%s", want, out)
		}
	}
	seg, err := runCLI(t, "", "", "debug", "segment", dir+"/00000000000000000000.log")
	if err != nil || !strings.Contains(seg, "3 batches, 3 records") {
		t.Fatalf("debug segment: %v\n%s", err, seg)
	}
}
