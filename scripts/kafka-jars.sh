#!/usr/bin/env bash
# Fetches the official Apache Kafka jars from Maven Central (scripts/maven-jars.sh).
#
# Usage: scripts/kafka-jars.sh VERSION [DIR]
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/maven-jars.sh" kafka "$@"
