# Kafka peers as ctest fixtures. A test that needs one says
# FIXTURES kafka (a real Apache Kafka broker in KRaft mode) or
# FIXTURES embedded_kafka (vmrelay-embedded-kafka, librdkafka's mock
# cluster); ctest then starts the peer before it and stops it after the
# last test that needs it, also when only some tiers are selected.
# Each script writes <peers>/<peer>/bootstrap, read with peer_value().

# The real broker. A cold start fetches the jars with Maven (about 20 s on a
# warm Maven repository, longer on a cold one), hence the long timeout.
add_test(NAME env/kafka-start COMMAND ${VMRELAY_TESTS_DIR}/env/kafka.sh start)
add_test(NAME env/kafka-stop COMMAND ${VMRELAY_TESTS_DIR}/env/kafka.sh stop)
set_tests_properties(env/kafka-start PROPERTIES FIXTURES_SETUP kafka TIMEOUT 900)
set_tests_properties(env/kafka-stop PROPERTIES FIXTURES_CLEANUP kafka TIMEOUT 120)
set_tests_properties(env/kafka-start env/kafka-stop PROPERTIES
    LABELS smoke
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}")

# The embedded broker runs the program from this build folder.
add_test(NAME env/embedded-kafka-start COMMAND ${VMRELAY_TESTS_DIR}/env/embedded-kafka.sh start)
add_test(NAME env/embedded-kafka-stop COMMAND ${VMRELAY_TESTS_DIR}/env/embedded-kafka.sh stop)
set_tests_properties(env/embedded-kafka-start PROPERTIES
    FIXTURES_SETUP embedded_kafka TIMEOUT 60)
set_tests_properties(env/embedded-kafka-stop PROPERTIES
    FIXTURES_CLEANUP embedded_kafka TIMEOUT 60)
set_tests_properties(env/embedded-kafka-start env/embedded-kafka-stop PROPERTIES
    LABELS smoke
    ENVIRONMENT "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR};VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")
