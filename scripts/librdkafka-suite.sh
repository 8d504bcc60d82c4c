#!/usr/bin/env bash
# Runs librdkafka's own test suite (tests/test-runner), unmodified, against a
# fresh `gregor serve` on 127.0.0.1:9092. librdkafka's source is not on the Go
# module proxy, so bring a checkout yourself (tested with v2.15.0):
#
#   scripts/librdkafka-suite.sh /path/to/librdkafka
#
# It builds the library and test-runner there (needs gcc, make, libssl-dev,
# libzstd-dev, liblz4-dev, zlib1g-dev) and runs the broker tests in quick mode
# as against Kafka 4.0 (TEST_KAFKA_VERSION=4.0.0), four at a time. The broker
# gets num.partitions=4, the auto-created topic size of librdkafka's test
# cluster (tests/scenarios/default.json).
#
# Skipped, and why:
#   0098 0103 0129         transactions (Gregor has none yet)
#   0052 0077 0109 0115 0119  call Kafka's kafka-topics.sh / kafka-configs.sh
#                          (KAFKA_PATH), which is not Gregor's
#   0081                   its ACL and SCRAM subtests need an authorizer and
#                          SASL; the other subtests run first and stop there.
#                          With those four calls removed from 0081-admin.c it
#                          passes (CreateTopics ... DescribeConsumerGroups,
#                          group configs, ListOffsets, DeleteRecords).
# Not part of `make test`.
set -euo pipefail

src=${1:?usage: $0 LIBRDKAFKA_SOURCE_DIR}
src=$(cd "$src" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true; rm -rf "$work"' EXIT

(cd "$here" && go build -o "$work/gregor" ./cmd/gregor)
if [[ ! -x $src/tests/test-runner ]]; then
	(cd "$src" && ./configure --disable-gssapi --disable-curl --disable-sasl >/dev/null &&
		make -j"$(nproc)" libs >/dev/null && make -C tests -j"$(nproc)" build >/dev/null)
fi

printf 'num.partitions=4\n' >"$work/broker.properties"
. "$here/scripts/serve-for-suite.sh"
serve_for_suite "$work" 127.0.0.1 --config "$work/broker.properties"

cd "$src/tests"
conf=$work/test.conf
printf 'metadata.broker.list=127.0.0.1:9092\ntest.timeout.multiplier=2\n' >"$conf"
status=0
LD_LIBRARY_PATH=$src/src:$src/src-cpp RDKAFKA_TEST_CONF=$conf TEST_KAFKA_VERSION=4.0.0 \
	TESTS_SKIP=0098,0103,0129,0052,0077,0109,0115,0119,0081 \
	./test-runner -L -Q -E -p4 || status=1
if [[ $status != 0 ]]; then
	echo "broker log: $work/broker.log (kept)"
	trap 'kill "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true' EXIT
fi
exit $status
