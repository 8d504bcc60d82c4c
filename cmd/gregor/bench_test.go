package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// runCLIBench runs one command like runCLI, for benchmarks: stdout is
// discarded unless out is given.
func runCLIBench(b *testing.B, brokers, stdin string, out io.Writer, args ...string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := newRootCmd()
	if out == nil {
		out = io.Discard
	}
	var errOut bytes.Buffer
	root.SetArgs(append([]string{"--brokers", brokers}, args...))
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(ctx); err != nil || ctx.Err() != nil {
		b.Fatalf("gregor %v: %v %v\n%s", args, err, ctx.Err(), errOut.String())
	}
}

// BenchmarkProduceConsume pushes 20,000 lines of 100 bytes through
// "gregor produce" and reads them back with "gregor consume -e", against the
// cluster of testBrokers. Bytes/op counts the lines' bytes once.
func BenchmarkProduceConsume(b *testing.B) {
	brokers := testBrokers(b)
	const lines = 20000
	line := strings.Repeat("x", 99) + "\n"
	in := strings.Repeat(line, lines)
	for _, codec := range []string{"none", "zstd"} {
		b.Run(codec, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for i := 0; b.Loop(); i++ {
				topic := fmt.Sprintf("bench-%s-%d", codec, i)
				runCLIBench(b, brokers, "", nil, "topic", "create", topic, "-p", "3")
				runCLIBench(b, brokers, in, nil, "produce", topic, "--compression", codec)
				var out countWriter
				runCLIBench(b, brokers, "", &out, "consume", topic, "-e")
				if out.n != int64(len(in)) {
					b.Fatalf("consumed %d bytes, want %d", out.n, len(in))
				}
			}
		})
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
