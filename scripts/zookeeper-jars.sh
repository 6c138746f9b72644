#!/usr/bin/env bash
# Fetches the official Apache Zookeeper jars from Maven Central (scripts/maven-jars.sh).
#
# Usage: scripts/zookeeper-jars.sh VERSION [DIR]
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/maven-jars.sh" zookeeper "$@"
