{{/*
Shared helpers. The services and their topology (what each consumes, in which consumer groups,
and publishes) are facts of the code, not settings: they come from files/services.json, a copy of
services/services.json; the partition counts below mirror services/common/include/klinik/topics.h.
tests/deploy (deploy.chart_topology) checks the copy, values.yaml, values.schema.json and the
rendered objects against the manifest and topics.h, so none of them can drift.
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

{{/* The service manifest (files/services.json) as a string; callers apply fromJson. */}}
{{- define "klinik.manifest" -}}
{{- .Files.Get "files/services.json" -}}
{{- end -}}

{{/*
One service's entry of the manifest, as JSON: binary (in /usr/local/bin of the image), consumers
(each a consumer group and its topics: the KEDA triggers and the consumer ACLs), consumes (all
consumed topics), publishes (the producer ACLs, with the dead-letter topic every service writes).
Call with (list $ "registration").
*/}}
{{- define "klinik.serviceTopology" -}}
{{- $manifest := include "klinik.manifest" (index . 0) | fromJson -}}
{{- $found := dict -}}
{{- range $manifest.services -}}
{{- if eq .name (index $ 1) -}}
{{- $consumes := list -}}
{{- range .consumers -}}{{- $consumes = concat $consumes .topics -}}{{- end -}}
{{- $found = dict "binary" .binary "consumers" .consumers "consumes" (uniq $consumes) "publishes" .publishes -}}
{{- end -}}
{{- end -}}
{{- if not $found -}}
{{- fail (printf "services.%s is not a service of files/services.json (services/services.json)" (index . 1)) -}}
{{- end -}}
{{- toJson $found -}}
{{- end -}}

{{/* Topics and their production partition counts (topics.h kAll). */}}
{{- define "klinik.topics" -}}
klinik.intake.registration.v1: 12
klinik.patients.v1: 12
klinik.intake.screening.v1: 12
klinik.screenings.v1: 12
klinik.intake.pharmacy.v1: 12
klinik.pharmacy.v1: 12
klinik.intake.referral.v1: 12
klinik.referrals.v1: 12
klinik.satusehat.v1: 12
klinik.deadletter.v1: 3
{{- end -}}

{{- define "klinik.deadLetterTopic" -}}
{{- (include "klinik.manifest" . | fromJson).dead_letter_topic -}}
{{- end -}}

{{/*
Fact topics, as a JSON list: those some service publishes its facts on, the only ones provincial
subscribers may read.
*/}}
{{- define "klinik.factTopics" -}}
{{- $facts := list -}}
{{- range (include "klinik.manifest" . | fromJson).services -}}
{{- $facts = concat $facts .publishes -}}
{{- end -}}
{{- uniq $facts | toJson -}}
{{- end -}}

{{/* KLINIK_CONSUMER_GROUP of a service: the platform default klinik-<service>, to which the code
may append a suffix per consumer (the manifest's consumer groups). */}}
{{- define "klinik.consumerGroup" -}}klinik-{{ . }}{{- end -}}

{{/*
The fewest partitions among the topics a service consumes: more consumers than that sit idle,
so it bounds KEDA's maxReplicaCount. Call with (list $ "registration").
*/}}
{{- define "klinik.maxUsefulReplicas" -}}
{{- $topology := include "klinik.serviceTopology" . | fromJson -}}
{{- $topics := include "klinik.topics" (index . 0) | fromYaml -}}
{{- $min := 0 -}}
{{- range $topology.consumes -}}
{{- $p := int (index $topics .) -}}
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
{{- range (include "klinik.manifest" . | fromJson).services -}}
{{- if not (hasKey $root.Values.services .name) -}}
{{- fail (printf "files/services.json lists %s, but values.yaml has no services.%s block" .name .name) -}}
{{- end -}}
{{- end -}}
{{- range $name, $svc := .Values.services -}}
{{- $_ := include "klinik.serviceTopology" (list $root $name) -}}
{{- if $svc.enabled -}}
{{- if eq $root.Values.database.backend "sqlite" -}}
{{- if or (gt (int $svc.replicas) 1) $svc.autoscaling.enabled $svc.keda.enabled -}}
{{- fail (printf "services.%s: database.backend=sqlite runs one replica only; set replicas: 1 and disable autoscaling and keda, or use PostgreSQL" $name) -}}
{{- end -}}
{{- end -}}
{{- if $svc.keda.enabled -}}
{{- $max := int (include "klinik.maxUsefulReplicas" (list $root $name)) -}}
{{- if gt (int $svc.keda.maxReplicas) $max -}}
{{- fail (printf "services.%s.keda.maxReplicas=%d exceeds %d, the partition count of its smallest consumed topic" $name (int $svc.keda.maxReplicas) $max) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
