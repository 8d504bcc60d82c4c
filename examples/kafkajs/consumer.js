// Joins group Users, reads topic Users from the beginning and prints every
// message with its partition. Stop it with Ctrl-C (or SIGTERM).
const { kafka } = require('./client')

async function run () {
  const consumer = kafka.consumer({ groupId: 'Users' })
  console.log('Connecting.....')
  await consumer.connect()
  console.log('Connected!')
  await consumer.subscribe({ topic: 'Users', fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      console.log(`Message received ${message.value} on partition ${partition}`)
    },
  })
  const stop = async () => {
    await consumer.disconnect()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

run().catch((err) => {
  console.error(`Something bad happened ${err}`)
  process.exit(1)
})
