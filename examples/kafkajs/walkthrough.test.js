// The getting-started walkthrough, run unchanged against a fresh broker
// (scripts/test-node.sh starts one and sets KAFKA_BROKERS). It runs the
// example scripts as a user would and checks what the guide promises:
// both topics exist with their partition counts; each message lands on the
// partition the producer's rule picks; the consumer receives all of them; a
// restarted consumer resumes from the committed offsets; two consumers split
// the partitions, and when one stops the other takes over its partition.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const { spawn, execFile } = require('node:child_process')
const path = require('node:path')
const { AssignerProtocol } = require('kafkajs')
const { kafka } = require('./client')

const dir = __dirname
const env = { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' }
const WAIT = 60000

function run (script, ...args) {
  return new Promise((resolve, reject) => {
    execFile('node', [path.join(dir, script), ...args], { env, timeout: WAIT }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

const partitionFor = (msg) => (msg.length > 10 ? 0 : 1)

async function produce (msg) {
  const out = await run('producer.js', msg)
  const m = out.match(/Send Successfully! (.*)/)
  assert.ok(m, `producer printed no result: ${out}`)
  const [res] = JSON.parse(m[1])
  assert.equal(res.topicName, 'Users')
  assert.equal(res.errorCode, 0)
  assert.equal(res.partition, partitionFor(msg), `"${msg}" went to partition ${res.partition}`)
  return res
}

// A running consumer.js: the messages it printed, in order.
class Consumer {
  constructor (name) {
    this.name = name
    this.received = [] // { value, partition }
    this.out = ''
    this.proc = spawn('node', [path.join(dir, 'consumer.js')], { env })
    this.exited = new Promise((resolve) => this.proc.on('exit', resolve))
    let buf = ''
    this.proc.stdout.on('data', (d) => {
      buf += d
      this.out += d
      let i
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        const m = line.match(/^Message received (.*) on partition (\d+)$/)
        if (m) this.received.push({ value: m[1], partition: Number(m[2]) })
      }
    })
    this.proc.stderr.on('data', (d) => { this.out += d })
  }

  values () { return this.received.map((r) => r.value) }

  async stop () {
    this.proc.kill('SIGTERM')
    const code = await this.exited
    assert.equal(code, 0, `${this.name} exited with ${code}:\n${this.out}`)
  }
}

async function eventually (what, fn, timeout = WAIT) {
  const end = Date.now() + timeout
  let last
  for (;;) {
    try {
      const v = await fn()
      if (v !== false) return v
    } catch (e) { last = e }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

// The partitions each member of group Users owns, once the group is Stable.
async function assignments (admin) {
  const { groups } = await admin.describeGroups(['Users'])
  const g = groups[0]
  if (g.state !== 'Stable') return null
  return g.members.map((m) => {
    const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)
    return (a && a.assignment.Users) ? [...a.assignment.Users].sort() : []
  })
}

test('the kafkajs walkthrough', { timeout: 5 * WAIT }, async (t) => {
  const admin = kafka.admin()
  await admin.connect()
  t.after(() => admin.disconnect())
  const sent = []

  await t.test('topic.js creates Users (2 partitions) and Codes (3 partitions)', async () => {
    const out = await run('topic.js')
    assert.match(out, /Created Successfully!/)
    const { topics } = await admin.fetchTopicMetadata({ topics: ['Users', 'Codes'] })
    const count = Object.fromEntries(topics.map((tp) => [tp.name, tp.partitions.length]))
    assert.deepEqual(count, { Users: 2, Codes: 3 })
  })

  await t.test('producer.js sends each message to the partition its length picks', async () => {
    for (const msg of ['hello', 'a message longer than ten', 'short', 'another long message', 'tiny']) {
      await produce(msg)
      sent.push(msg)
    }
    const offsets = await admin.fetchTopicOffsets('Users')
    const ends = Object.fromEntries(offsets.map((o) => [o.partition, Number(o.high)]))
    assert.deepEqual(ends, { 0: 2, 1: 3 })
  })

  await t.test('consumer.js receives every message on its partition', async () => {
    const c = new Consumer('consumer')
    try {
      await eventually('all messages', () => c.received.length >= sent.length)
      assert.deepEqual([...c.values()].sort(), [...sent].sort())
      for (const r of c.received) assert.equal(r.partition, partitionFor(r.value))
    } finally {
      await c.stop()
    }
    const [{ partitions }] = await admin.fetchOffsets({ groupId: 'Users', topics: ['Users'] })
    const committed = Object.fromEntries(partitions.map((p) => [p.partition, Number(p.offset)]))
    assert.deepEqual(committed, { 0: 2, 1: 3 }, 'offsets committed at the end of each partition')
  })

  await t.test('a restarted consumer resumes from the committed offsets', async () => {
    const fresh = ['after restart, long', 'new']
    for (const msg of fresh) await produce(msg)
    const c = new Consumer('restarted')
    try {
      await eventually('the new messages', () => c.received.length >= fresh.length)
      assert.deepEqual([...c.values()].sort(), [...fresh].sort(), 'only the new messages, nothing re-read')
    } finally {
      await c.stop()
    }
    assert.deepEqual(c.values().filter((v) => sent.includes(v)), [])
    sent.push(...fresh)
  })

  await t.test('two consumers split the partitions; one takes over when the other stops', async () => {
    const a = new Consumer('a')
    let b
    try {
      await eventually('consumer a to own both partitions', async () => {
        const as = await assignments(admin)
        return as !== null && as.length === 1 && as[0].length === 2
      })
      b = new Consumer('b')
      await eventually('the two consumers to split the partitions', async () => {
        const as = await assignments(admin)
        return as !== null && as.length === 2 && as.every((p) => p.length === 1) && as[0][0] !== as[1][0]
      })
      const long = 'split test, partition zero'
      const short = 'split 1'
      await produce(long)
      await produce(short)
      await eventually('each message to reach one consumer', () => a.received.length + b.received.length >= 2)
      const aGot = a.values()
      const bGot = b.values()
      assert.equal(aGot.length, 1, `a got ${JSON.stringify(aGot)}, b got ${JSON.stringify(bGot)}`)
      assert.equal(bGot.length, 1, `a got ${JSON.stringify(aGot)}, b got ${JSON.stringify(bGot)}`)
      const bPartition = b.received[0].partition

      await b.stop()
      b = null
      await eventually('consumer a to take over both partitions', async () => {
        const as = await assignments(admin)
        return as !== null && as.length === 1 && as[0].length === 2
      })
      const takeover = bPartition === 0 ? 'taken over, long message' : 'taken'
      await produce(takeover)
      await eventually('consumer a to receive the message on the taken-over partition', () => a.values().includes(takeover))
      assert.equal(a.received.find((r) => r.value === takeover).partition, bPartition)
    } finally {
      if (b) await b.stop()
      await a.stop()
    }
  })
})
