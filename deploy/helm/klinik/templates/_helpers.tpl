{{/*
Shared helpers. The service topology (what each service consumes and publishes) and the topic
list are facts of the code, not settings: they mirror ARCHITECTURE.md and
services/common/include/klinik/topics.h, and tests/deploy checks the rendered KafkaTopics against
topics.h so the two cannot drift.
*/}}

{{- define "klinik.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "klinik.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "klinik.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "klinik.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of one service's objects: <fullname>-<service>. Call with (list $ "registration"). */}}
{{- define "klinik.serviceFullname" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "klinik.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object, without the instance (selectorLabels and commonLabels add it). */}}
{{- define "klinik.baseLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: klinik
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels of release-wide objects (topics, rules, dashboards). */}}
{{- define "klinik.commonLabels" -}}
{{ include "klinik.baseLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one service. Call with (list $ "registration"). */}}
{{- define "klinik.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end -}}

{{/* Labels of one service's objects. Call with (list $ "registration"). */}}
{{- define "klinik.labels" -}}
{{- $root := index . 0 -}}
{{ include "klinik.baseLabels" $root }}
{{ include "klinik.selectorLabels" . }}
app.kubernetes.io/component: service
{{- end -}}

{{/*
What each service consumes and publishes (ARCHITECTURE.md, "Services"). Every service also
writes dead letters. `consumes` feeds the KEDA triggers and the consumer ACLs; `publishes` the
producer ACLs.
*/}}
{{- define "klinik.topology" -}}
registration:
  consumes: [klinik.intake.registration.v1]
  publishes: [klinik.patients.v1]
screening:
  consumes: [klinik.intake.screening.v1]
  publishes: [klinik.screenings.v1]
pharmacy:
  consumes: [klinik.intake.pharmacy.v1]
  publishes: [klinik.pharmacy.v1]
referral:
  consumes: [klinik.intake.referral.v1, klinik.screenings.v1]
  publishes: [klinik.referrals.v1]
satusehat-sync:
  consumes: [klinik.patients.v1, klinik.screenings.v1, klinik.pharmacy.v1, klinik.referrals.v1]
  publishes: [klinik.satusehat.v1]
{{- end -}}

{{/*
Topics and their production partition counts (topics.h kAll). `fact` marks the topics services
publish their facts on: the ones provincial subscribers may read.
*/}}
{{- define "klinik.topics" -}}
klinik.intake.registration.v1: {partitions: 12, fact: false}
klinik.patients.v1: {partitions: 12, fact: true}
klinik.intake.screening.v1: {partitions: 12, fact: false}
klinik.screenings.v1: {partitions: 12, fact: true}
klinik.intake.pharmacy.v1: {partitions: 12, fact: false}
klinik.pharmacy.v1: {partitions: 12, fact: true}
klinik.intake.referral.v1: {partitions: 12, fact: false}
klinik.referrals.v1: {partitions: 12, fact: true}
klinik.satusehat.v1: {partitions: 12, fact: true}
klinik.deadletter.v1: {partitions: 3, fact: false}
{{- end -}}

{{- define "klinik.deadLetterTopic" -}}klinik.deadletter.v1{{- end -}}

{{/* Consumer group of a service (the platform default klinik-<service>). */}}
{{- define "klinik.consumerGroup" -}}klinik-{{ . }}{{- end -}}

{{/*
The fewest partitions among the topics a service consumes: more consumers than that sit idle,
so it bounds KEDA's maxReplicaCount. Call with "registration".
*/}}
{{- define "klinik.maxUsefulReplicas" -}}
{{- $topology := include "klinik.topology" . | fromYaml -}}
{{- $topics := include "klinik.topics" . | fromYaml -}}
{{- $min := 0 -}}
{{- range (index $topology .).consumes -}}
{{- $p := int (index $topics .).partitions -}}
{{- if or (eq $min 0) (lt $p $min) -}}{{- $min = $p -}}{{- end -}}
{{- end -}}
{{- $min -}}
{{- end -}}

{{/* Strimzi KafkaUser name of a service (also its SASL username). Call with (list $ "registration"). */}}
{{- define "klinik.kafkaUserName" -}}
{{- include "klinik.serviceFullname" . -}}
{{- end -}}

{{- define "klinik.image" -}}
{{- $root := . -}}
{{- $tag := $root.Values.image.tag | default $root.Chart.AppVersion -}}
{{- if $root.Values.image.digest -}}
{{- printf "%s@%s" $root.Values.image.repository $root.Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $root.Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* True ("true") when SASL credentials come from the Strimzi KafkaUser secrets of this chart. */}}
{{- define "klinik.saslFromStrimzi" -}}
{{- if and .Values.kafka.sasl.enabled (not .Values.kafka.sasl.existingSecret) .Values.strimzi.users.enabled -}}true{{- end -}}
{{- end -}}

{{/*
Refuses combinations the services cannot run with. SQLite is one file on one pod's volume:
more than one replica, an HPA or KEDA would corrupt or split the data.
*/}}
{{- define "klinik.validate" -}}
{{- $root := . -}}
{{- if and .Values.kafka.sasl.enabled (not .Values.kafka.sasl.existingSecret) (not .Values.strimzi.users.enabled) -}}
{{- fail "kafka.sasl.enabled needs kafka.sasl.existingSecret, or strimzi.users.enabled to use the KafkaUser secrets" -}}
{{- end -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- if eq $root.Values.database.backend "sqlite" -}}
{{- if or (gt (int $svc.replicas) 1) $svc.autoscaling.enabled $svc.keda.enabled -}}
{{- fail (printf "services.%s: database.backend=sqlite runs one replica only; set replicas: 1 and disable autoscaling and keda, or use PostgreSQL" $name) -}}
{{- end -}}
{{- end -}}
{{- if $svc.keda.enabled -}}
{{- $max := int (include "klinik.maxUsefulReplicas" $name) -}}
{{- if gt (int $svc.keda.maxReplicas) $max -}}
{{- fail (printf "services.%s.keda.maxReplicas=%d exceeds %d, the partition count of its smallest consumed topic" $name (int $svc.keda.maxReplicas) $max) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
