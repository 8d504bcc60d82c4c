// The one place the walkthrough names the broker. Against Gregor started with
// `make run` nothing needs to change; KAFKA_BROKERS points it elsewhere.
const { Kafka, logLevel } = require('kafkajs')

const brokers = (process.env.KAFKA_BROKERS || 'localhost:9092').split(',')

module.exports.kafka = new Kafka({
  clientId: 'myapp',
  brokers,
  logLevel: process.env.KAFKAJS_LOG_LEVEL ? logLevel[process.env.KAFKAJS_LOG_LEVEL] : logLevel.WARN,
})
