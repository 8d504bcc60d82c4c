// Creates the walkthrough's topics: Users with 2 partitions, Codes with 3.
const { kafka } = require('./client')

async function run () {
  const admin = kafka.admin()
  console.log('Connecting.....')
  await admin.connect()
  console.log('Connected!')
  await admin.createTopics({
    topics: [
      { topic: 'Users', numPartitions: 2 },
      { topic: 'Codes', numPartitions: 3 },
    ],
  })
  console.log('Created Successfully!')
  await admin.disconnect()
}

run().catch((err) => {
  console.error(`Something bad happened ${err}`)
  process.exit(1)
})
