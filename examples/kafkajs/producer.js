// Sends one message to Users: partition 0 when it is longer than 10
// characters, partition 1 otherwise. Usage: node producer.js <message>
const { kafka } = require('./client')

const msg = process.argv[2]

async function run () {
  if (msg === undefined) {
    throw new Error('usage: node producer.js <message>')
  }
  const producer = kafka.producer()
  console.log('Connecting.....')
  await producer.connect()
  console.log('Connected!')
  const partition = msg.length > 10 ? 0 : 1
  const result = await producer.send({
    topic: 'Users',
    messages: [{ value: msg, partition }],
  })
  console.log(`Send Successfully! ${JSON.stringify(result)}`)
  await producer.disconnect()
}

run().catch((err) => {
  console.error(`Something bad happened ${err}`)
  process.exit(1)
})
