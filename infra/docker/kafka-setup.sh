#!/usr/bin/env bash
# Starts the broker, then (once it answers on its loopback-only admin listener) creates the topics, one SCRAM
# principal per component and the ACLs that let each read and write only its own topics. Runs inside the Kafka
# container: the admin listener (LOCAL, 127.0.0.1:9094, no authentication, super user) is reachable from nowhere else.
set -euo pipefail
/etc/kafka/docker/run &
broker=$!
bin=/opt/kafka/bin
admin=(--bootstrap-server 127.0.0.1:9094)
until "$bin/kafka-topics.sh" "${admin[@]}" --list >/dev/null 2>&1; do sleep 2; done

topics=(yg.profiles yg.profiles.restricted yg.employers yg.opportunities yg.referrals yg.suggestions)
for topic in "${topics[@]}"; do
  for name in "$topic" "$topic.dlt"; do
    "$bin/kafka-topics.sh" "${admin[@]}" --create --if-not-exists --topic "$name" --partitions 3 --replication-factor 1
  done
done
# The log epoch (services/messaging/epoch.py): one partition whose first record names this life of the log.
"$bin/kafka-topics.sh" "${admin[@]}" --create --if-not-exists --topic yg.log-epoch --partitions 1 --replication-factor 1

user() {  # user NAME PASSWORD
  "$bin/kafka-configs.sh" "${admin[@]}" --alter --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$2]"
}
allow() {  # allow PRINCIPAL OPERATION... -- RESOURCE ARGS
  local principal=$1; shift
  local ops=()
  while [[ $1 != -- ]]; do ops+=(--operation "$1"); shift; done
  shift
  "$bin/kafka-acls.sh" "${admin[@]}" --add --allow-principal "User:$principal" "${ops[@]}" "$@"
}

user profiles "$KAFKA_PASSWORD_PROFILES"
user opportunities "$KAFKA_PASSWORD_OPPORTUNITIES"
user matching "$KAFKA_PASSWORD_MATCHING"
user events "$KAFKA_PASSWORD_EVENTS"
user notifications "$KAFKA_PASSWORD_NOTIFICATIONS"
user relay-profiles "$KAFKA_PASSWORD_RELAY_PROFILES"
user relay-opportunities "$KAFKA_PASSWORD_RELAY_OPPORTUNITIES"
user relay-matching "$KAFKA_PASSWORD_RELAY_MATCHING"

# Producers write only their own topics (the relays publish the outboxes; the relay also reads back what the
# broker holds, to publish again what a broker restart lost).
for topic in yg.profiles yg.profiles.restricted; do
  allow relay-profiles Write Read Describe -- --topic "$topic"
done
for topic in yg.employers yg.opportunities yg.referrals; do
  allow relay-opportunities Write Read Describe -- --topic "$topic"
done
# The matcher's record of the suggestion lists it served, for the audit log (the events service reads it).
allow relay-matching Write Read Describe -- --topic yg.suggestions
# The events service reads every topic, and it alone the restricted one (special category data).
for topic in "${topics[@]}"; do
  allow events Read Describe -- --topic "$topic"
  allow events Write Describe -- --topic "$topic.dlt"
done
allow events Read -- --group events
# The matcher reads profiles, employers, opportunities and referrals, never the restricted topic; it uses no
# consumer group.
for topic in yg.profiles yg.employers yg.opportunities yg.referrals; do
  allow matching Read Describe -- --topic "$topic"
  allow matching Write Describe -- --topic "$topic.dlt"
done
# The notifications service reads profiles, employers, opportunities and referrals, never the restricted topic.
for topic in yg.profiles yg.employers yg.opportunities yg.referrals; do
  allow notifications Read Describe -- --topic "$topic"
  allow notifications Write Describe -- --topic "$topic.dlt"
done
allow notifications Read -- --group notifications
# The opportunities service reads profile.erased from the profiles topic.
allow opportunities Read Describe -- --topic yg.profiles
allow opportunities Write Describe -- --topic yg.profiles.dlt
allow opportunities Read -- --group opportunities
# The profiles service reads referral outcomes (an accepted referral opens an activity spell); its own events go
# through relay-profiles.
allow profiles Read Describe -- --topic yg.referrals
allow profiles Write Describe -- --topic yg.referrals.dlt
allow profiles Read -- --group profiles
# Everyone that reads or publishes reads the log epoch, and writes it first on an empty broker; the groups commit
# the epoch their offsets belong to as an offset of yg.log-epoch.
for principal in profiles matching events notifications opportunities relay-profiles relay-opportunities \
    relay-matching; do
  allow "$principal" Read Write Describe -- --topic yg.log-epoch
done

touch /tmp/yg-ready
wait "$broker"
