package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceOpts are the parsed flags of "gregor produce".
type produceOpts struct {
	keySep          string
	headers         []string
	partition       int32
	acks            string
	compression     string
	verbose         bool
	deliveryTimeout time.Duration
}

// newProduceCmd returns "gregor produce TOPIC": one record per line of stdin.
//
// Lines end at '\n'; a trailing '\r' is removed too, and a last line without
// a newline is still a record. An empty line is an empty-value record (as in
// Kafka's console producer): no input line is dropped. With -k SEP the line is
// split at the first SEP into key and value; a line without SEP is an error
// that stops reading (records already read are still flushed). The command
// prints nothing unless -v is given, and exits non-zero if any record failed.
func newProduceCmd() *cobra.Command {
	var o produceOpts
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce records from stdin, one per line",
		Long: `Produce one record per stdin line to TOPIC and flush at EOF.

Without --partition, records are partitioned like the Java client: keyed
records by murmur2 hash of the key, unkeyed records sticky per batch.`,
		Example: `  printf 'k1:hello\nk2:world\n' | gregor produce orders -k : -H source=cli
  gregor produce orders -p 0 --acks 1 --compression zstd < lines.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProduce(cmd, args[0], &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.keySep, "key-separator", "k", "", "split each line into key and value at the first SEP")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "header key=value added to every record (repeatable)")
	f.Int32VarP(&o.partition, "partition", "p", -1, "produce to this partition (-1: hash keys like the Java client)")
	f.StringVar(&o.acks, "acks", "all", "required acks: all (-1), 1 or 0")
	f.StringVar(&o.compression, "compression", "none", "batch compression: none, gzip, snappy, lz4, zstd")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print the partition and offset of every record")
	f.DurationVar(&o.deliveryTimeout, "delivery-timeout", 30*time.Second, "fail a record not acknowledged within this time (0: no limit)")
	return cmd
}

// producerOpts translates the flags into kgo options.
func (o *produceOpts) producerOpts(topic string) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.DefaultProduceTopic(topic)}
	switch strings.ToLower(o.acks) {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1", "leader":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case "0", "none":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		return nil, usageErrorf("--acks %q: expected all, 1 or 0", o.acks)
	}
	codec, err := compressionCodec(o.compression)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.ProducerBatchCompression(codec))
	if o.partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	} else {
		opts = append(opts, kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	}
	if o.partition < -1 {
		return nil, usageErrorf("--partition %d: expected -1 or a partition number", o.partition)
	}
	if o.deliveryTimeout < 0 {
		return nil, usageErrorf("--delivery-timeout %v: must not be negative", o.deliveryTimeout)
	}
	if o.deliveryTimeout > 0 {
		opts = append(opts, kgo.RecordDeliveryTimeout(o.deliveryTimeout))
	}
	return opts, nil
}

// compressionCodec maps a --compression name to a kgo codec.
func compressionCodec(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "none", "":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	default:
		return kgo.CompressionCodec{}, usageErrorf("--compression %q: expected none, gzip, snappy, lz4 or zstd", name)
	}
}

// runProduce reads stdin to EOF, producing as it reads, then flushes.
func runProduce(cmd *cobra.Command, topic string, o *produceOpts) error {
	var headers []kgo.RecordHeader
	for _, h := range o.headers {
		k, v, err := parseKV("--header", h)
		if err != nil {
			return err
		}
		headers = append(headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	opts, err := o.producerOpts(topic)
	if err != nil {
		return err
	}
	cl, err := newClient(cmd, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	log := cmdLogger(cmd)
	ctx := cmd.Context()

	// Promises run on kgo's goroutines; mu guards the output and counters.
	var mu struct {
		sync.Mutex
		failed   int
		firstErr error
		writeErr error
	}
	out := cmd.OutOrStdout()
	produced := 0
	var readErr error
	in := bufio.NewReaderSize(cmd.InOrStdin(), 64<<10)
	for line := 1; ; line++ {
		raw, err := in.ReadBytes('\n')
		if len(raw) == 0 && err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = fmt.Errorf("reading stdin after line %d: %w", line-1, err)
			}
			break
		}
		raw = bytes.TrimSuffix(raw, []byte("\n"))
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		r := &kgo.Record{Value: raw, Headers: headers}
		if o.partition >= 0 {
			r.Partition = o.partition
		}
		if o.keySep != "" {
			k, v, ok := bytes.Cut(raw, []byte(o.keySep))
			if !ok {
				readErr = fmt.Errorf("line %d: key separator %q not found; stopped reading", line, o.keySep)
				break
			}
			r.Key, r.Value = k, v
		}
		produced++
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				mu.failed++
				if mu.firstErr == nil {
					mu.firstErr = err
				}
				log.Error("record not produced", "topic", topic, "line", line, "err", kafkaErrText(err, ""))
				return
			}
			if o.verbose && mu.writeErr == nil {
				_, mu.writeErr = fmt.Fprintf(out, "line %d: partition %d offset %d\n", line, r.Partition, r.Offset)
			}
		})
		if err != nil { // a last line without '\n'
			if !errors.Is(err, io.EOF) {
				readErr = fmt.Errorf("reading stdin after line %d: %w", line, err)
			}
			break
		}
	}
	flushErr := cl.Flush(ctx)
	if flushErr != nil && !errors.Is(flushErr, context.Canceled) {
		flushErr = fmt.Errorf("flushing: %w", flushErr)
	}

	mu.Lock()
	defer mu.Unlock()
	switch {
	case readErr != nil:
		return readErr
	case mu.failed > 0:
		e := partialf(mu.failed, produced, "records")
		e.detail = "first error: " + kafkaErrText(mu.firstErr, "")
		return e
	case flushErr != nil:
		return flushErr
	case mu.writeErr != nil:
		return fmt.Errorf("writing output: %w", mu.writeErr)
	}
	log.Debug("produced", "topic", topic, "records", produced)
	return nil
}
