package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// consumeOpts are the parsed flags of "gregor consume".
type consumeOpts struct {
	offset     string
	partitions []int32
	num        int
	exitAtEnd  bool
	group      string
	format     string
	committed  bool
	protocol   string
}

// newConsumeCmd returns "gregor consume TOPIC".
//
// Without -g it reads the chosen partitions directly (no group, nothing
// committed) from the offset given by -o, default beginning (as kcat and rpk
// do; Kafka's console consumer defaults to the end). With -g it joins the
// group, starts each partition at the group's committed offset, falls back to
// -o only where the group has none, and commits what it printed.
//
// It runs until interrupted, or until -n records were printed, or with -e
// until every partition reached the high watermark (with --read-committed the
// last stable offset) it had when the command started; records at or above
// that mark are not printed.
func newConsumeCmd() *cobra.Command {
	var o consumeOpts
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print records of a topic",
		Long: `Print records of TOPIC to stdout, one per --format.

Without --group the partitions are read directly and nothing is committed;
the default --offset is beginning (as in kcat and rpk; Kafka's console
consumer starts at the end). With --group the group's committed offsets win:
--offset applies only to partitions without a committed offset (or whose
committed offset left the log), and the offsets of the printed records are
committed on exit.

--offset: beginning | end | N (absolute) | -N (N before the end of each
partition) | @T (first record with timestamp >= T, T in Unix ms or RFC 3339).
Absolute and time offsets outside a partition's log are clamped into it.

--format tokens: %t topic, %p partition, %o offset, %k key, %v (or %s) value,
%T timestamp (Unix ms), %h headers (k=v,k2=v2), %K key length, %S value length,
%% percent; escapes \n \t \r \\ \0.`,
		Example: `  gregor consume orders -n 10 -f '%p:%o %k=%v\n'
  gregor consume orders -o -5 -e
  gregor consume orders -g billing`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConsume(cmd, args[0], &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.offset, "offset", "o", "beginning", "where to start: beginning, end, N, -N, @timestamp-ms")
	f.Int32SliceVarP(&o.partitions, "partition", "p", nil, "partition to read (repeatable or comma-separated; default all)")
	f.IntVarP(&o.num, "num", "n", 0, "exit after this many records (0: no limit)")
	f.BoolVarP(&o.exitAtEnd, "exit-at-end", "e", false, "exit once every partition reached its high watermark as of start")
	f.StringVarP(&o.group, "group", "g", "", "consume as a member of this consumer group, committing offsets")
	f.StringVarP(&o.format, "format", "f", `%v\n`, "output format (see above)")
	f.StringVar(&o.protocol, "group-protocol", "classic", "with -g: classic, or consumer (KIP-848, broker-side assignment; falls back to classic on brokers without it)")
	f.BoolVar(&o.committed, "read-committed", false, "skip records of aborted and open transactions (read_committed isolation)")
	return cmd
}

// runConsume validates the flags and runs the direct or group consumer.
func runConsume(cmd *cobra.Command, topic string, o *consumeOpts) error {
	format, err := parseFormat(o.format)
	if err != nil {
		return err
	}
	spec, err := parseOffsetSpec(o.offset)
	if err != nil {
		return err
	}
	if o.num < 0 {
		return usageErrorf("--num %d: must not be negative", o.num)
	}
	if o.group != "" && len(o.partitions) > 0 {
		return usageErrorf("--partition cannot be combined with --group: the group assigns partitions")
	}
	if o.protocol != "classic" && o.protocol != "consumer" {
		return usageErrorf("--group-protocol %q: expected classic or consumer", o.protocol)
	}
	if o.group != "" && o.exitAtEnd {
		return usageErrorf("--exit-at-end cannot be combined with --group (use --num)")
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c := &consumer{
		cmd:    cmd,
		log:    cmdLogger(cmd),
		topic:  topic,
		format: format,
		num:    o.num,
		out:    bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10),
	}
	// One admin client for the set-up requests, closed before consuming.
	adm, closeAdmOnce, err := newAdmin(cmd)
	if err != nil {
		return err
	}
	closeAdm := sync.OnceFunc(closeAdmOnce)
	defer closeAdm()
	actx, cancel := context.WithTimeout(ctx, defaultAdminTimeout)
	defer cancel()

	var opts []kgo.Opt
	if o.committed {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	if o.group == "" {
		starts, err := c.directStarts(actx, adm, spec, o.partitions, o.exitAtEnd, o.committed)
		if err != nil {
			return err
		}
		if o.exitAtEnd && len(c.ends) == 0 {
			return nil // every chosen partition is empty from the start offset on
		}
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: starts}))
		if o.exitAtEnd {
			// Control records (transaction markers) may be the last offsets
			// below the high watermark; seeing them tells us a partition is
			// done. They are never printed.
			opts = append(opts, kgo.KeepControlRecords())
		}
	} else {
		if _, err := c.partitions(actx, adm, nil); err != nil {
			return err
		}
		c.group = o.group
		opts = append(opts,
			kgo.ConsumerGroup(o.group),
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(spec.kgoOffset()),
			kgo.AutoCommitMarks(),
		)
		if o.protocol == "consumer" {
			// kgo speaks KIP-848 only with a range or sticky balancer; sticky
			// asks the broker for its "uniform" assignor, Kafka's default.
			opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.StickyBalancer()))
		}
	}
	closeAdm()
	cl, err := newClient(cmd, opts...)
	if err != nil {
		return err
	}
	c.cl = cl
	return c.run(ctx)
}

// consumer is the state of one "gregor consume" run. It is used by one
// goroutine only.
type consumer struct {
	cmd    *cobra.Command
	log    *slog.Logger
	cl     *kgo.Client
	topic  string
	group  string
	format recordFormat
	num    int
	out    *bufio.Writer

	// ends holds, with -e, the high watermark as of start of each partition
	// still to be read to its end; a partition leaves the map when done.
	ends map[int32]int64

	printed int
}

// partitions returns the partitions of the topic that the command reads:
// want, checked to exist, or all of them. It fails with a clear error if the
// topic does not exist.
func (c *consumer) partitions(ctx context.Context, adm *kadm.Client, want []int32) ([]int32, error) {
	md, err := adm.Metadata(ctx, c.topic)
	if err != nil {
		return nil, fmt.Errorf("topic %q: %w", c.topic, err)
	}
	td := md.Topics[c.topic]
	if td.Err != nil {
		return nil, fmt.Errorf("topic %q: %s", c.topic, kafkaErrText(td.Err, ""))
	}
	all := td.Partitions.Numbers()
	if len(want) == 0 {
		return all, nil
	}
	for _, p := range want {
		if !slices.Contains(all, p) {
			return nil, usageErrorf("topic %q has no partition %d (it has %d)", c.topic, p, len(all))
		}
	}
	return want, nil
}

// directStarts lists the offsets of the chosen partitions and returns where
// to start on each. With exitAtEnd it also fills c.ends with the partitions
// that have records at or after their start. The end of a partition is its
// high watermark, or with readCommitted its last stable offset.
func (c *consumer) directStarts(ctx context.Context, adm *kadm.Client, spec offsetSpec, want []int32, exitAtEnd, readCommitted bool) (map[int32]kgo.Offset, error) {
	parts, err := c.partitions(ctx, adm, want)
	if err != nil {
		return nil, err
	}
	starts, err := adm.ListStartOffsets(ctx, c.topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("listing start offsets of %q: %w", c.topic, err)
	}
	listEnds := adm.ListEndOffsets
	if readCommitted {
		listEnds = adm.ListCommittedOffsets
	}
	ends, err := listEnds(ctx, c.topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("listing end offsets of %q: %w", c.topic, err)
	}
	var byTime kadm.ListedOffsets
	if spec.kind == offsetAfterTime {
		byTime, err = adm.ListOffsetsAfterMilli(ctx, spec.n, c.topic)
		if err == nil {
			err = byTime.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("listing offsets of %q after %d ms: %w", c.topic, spec.n, err)
		}
	}

	out := make(map[int32]kgo.Offset, len(parts))
	if exitAtEnd {
		c.ends = make(map[int32]int64)
	}
	for _, p := range parts {
		s, ok1 := starts.Lookup(c.topic, p)
		e, ok2 := ends.Lookup(c.topic, p)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("listing offsets of %q: partition %d %w", c.topic, p, errMissingFromResponse)
		}
		timeOff := int64(-1)
		if t, ok := byTime.Lookup(c.topic, p); ok {
			timeOff = t.Offset
		}
		off, clamped := spec.resolve(s.Offset, e.Offset, timeOff)
		if clamped {
			c.log.Warn("start offset outside the partition's log; clamped",
				"topic", c.topic, "partition", p, "requested", spec.n, "log_start", s.Offset, "high_watermark", e.Offset, "start", off)
		}
		out[p] = kgo.NewOffset().At(off)
		if exitAtEnd && off < e.Offset {
			c.ends[p] = e.Offset
		}
	}
	return out, nil
}

// run polls and prints until a stop condition, then commits (group mode)
// and closes the client.
func (c *consumer) run(ctx context.Context) (err error) {
	defer func() {
		if c.group != "" {
			// Commit exactly what was printed, then leave the group.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if cerr := c.cl.CommitMarkedOffsets(cctx); cerr != nil && err == nil {
				err = fmt.Errorf("committing offsets of group %q: %w", c.group, cerr)
			}
			cancel()
		}
		c.cl.Close()
		if ferr := c.out.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("writing output: %w", ferr)
		}
	}()

	var buf []byte
	for {
		fetches := c.cl.PollFetches(ctx)
		if fetches.IsClientClosed() || ctx.Err() != nil {
			return nil // interrupted: a normal way to stop
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) {
				return nil
			}
			if errors.As(fe.Err, new(*kgo.ErrDataLoss)) || isTransientGroupErr(fe.Err) {
				// kgo has already recovered (reset or rejoined); say so and go on.
				c.log.Warn("consumer recovered from an error", "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err)
				continue
			}
			c.log.Error("fetch failed", "topic", fe.Topic, "partition", fe.Partition, "err", kafkaErrText(fe.Err, ""))
			return fmt.Errorf("fetching %s[%d]: %s", fe.Topic, fe.Partition, kafkaErrText(fe.Err, ""))
		}
		for _, r := range fetches.Records() {
			if c.ends != nil {
				end, reading := c.ends[r.Partition]
				if !reading || r.Offset >= end {
					continue // past the mark of -e
				}
				if r.Offset >= end-1 {
					c.finishPartition(r.Partition)
				}
			}
			if r.Attrs.IsControl() {
				continue
			}
			buf = c.format.appendRecord(buf[:0], r)
			if _, err := c.out.Write(buf); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			if c.group != "" {
				c.cl.MarkCommitRecords(r)
			}
			c.printed++
			if c.num > 0 && c.printed >= c.num {
				return nil
			}
		}
		if err := c.out.Flush(); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		if c.ends != nil && len(c.ends) == 0 {
			return nil
		}
	}
}

// finishPartition marks partition p as read to its -e mark and stops
// fetching it.
func (c *consumer) finishPartition(p int32) {
	delete(c.ends, p)
	c.cl.PauseFetchPartitions(map[string][]int32{c.topic: {p}})
}

// isTransientGroupErr reports whether err is a group session error kgo
// retries by itself (it rejoins), as opposed to one that will not go away,
// such as GROUP_AUTHORIZATION_FAILED.
func isTransientGroupErr(err error) bool {
	var gs *kgo.ErrGroupSession
	if !errors.As(err, &gs) {
		return false
	}
	var ke *kerr.Error
	return !errors.As(gs.Err, &ke) || ke.Retriable ||
		ke.Code == kerr.UnknownMemberID.Code || ke.Code == kerr.IllegalGeneration.Code || ke.Code == kerr.RebalanceInProgress.Code
}
