{{/* Names and labels shared by every template. */}}

{{- define "gantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release name, plus the chart name unless the release name already contains it. */}}
{{- define "gantry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "gantry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "gantry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: gantry
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "gantry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gantry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Cluster-scoped objects carry the namespace too: two releases in different namespaces must not collide. */}}
{{- define "gantry.clusterScopedName" -}}
{{- printf "%s-%s" (include "gantry.fullname" .) .Release.Namespace | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gantry.leaseName" -}}
{{- default (printf "%s-leader" (include "gantry.fullname" .)) .Values.leaderElection.id -}}
{{- end -}}

{{/* Where Envoys reach the xDS server: the xDS Service's cluster DNS name. */}}
{{- define "gantry.xdsAdvertise" -}}
{{- printf "%s.%s.svc:%d" (include "gantry.fullname" .) .Release.Namespace (int .Values.xds.port) -}}
{{- end -}}

{{- define "gantry.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The xDS CA Secret (release namespace). */}}
{{- define "gantry.xdsCaSecret" -}}
{{- default (printf "%s-xds-ca" (include "gantry.fullname" .)) .Values.xds.tls.caSecretName -}}
{{- end }}

{{/*
The controller's NODE_OPTIONS: V8's heap stated, so a Pod and a local run of the chart (the bench's
controller, cluster-up) use one heap policy. Unstated, Node.js sizes the heap from the container's
memory limit (old space half of it, semi-spaces 1 MiB under 512Mi) and a host process from the
host's memory (old space 4 GiB, semi-spaces 16 MiB). Empty values: what Node.js picks in the
container (old space half of resources.limits.memory, semi-spaces from the old space by V8's rule);
nothing without a limit.
*/}}
{{- define "gantry.nodeOptions" -}}
{{- $flags := list -}}
{{- $old := .Values.heap.maxOldSpaceMiB -}}
{{- $limit := dig "limits" "memory" "" (.Values.resources | default dict) -}}
{{- if and (not $old) $limit -}}
{{- $old = div (include "gantry.mebibytes" $limit | int) 2 -}}
{{- end -}}
{{- $semi := .Values.heap.maxSemiSpaceMiB -}}
{{- if and (not $semi) $old -}}
{{- /* V8's own rule: old space / 256 up to 256 MiB of it, / 128 above, within 1..16 MiB */ -}}
{{- $semi = max 1 (min 16 (div (int $old) (ternary 256 128 (le (int $old) 256)))) -}}
{{- end -}}
{{- if $old }}{{ $flags = append $flags (printf "--max-old-space-size=%d" (int $old)) }}{{ end -}}
{{- if $semi }}{{ $flags = append $flags (printf "--max-semi-space-size=%d" (int $semi)) }}{{ end -}}
{{- join " " $flags -}}
{{- end -}}

{{/* A memory quantity (512Mi, 1Gi, 500M, bytes) in MiB, rounded down. */}}
{{- define "gantry.mebibytes" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q }}{{ mul (trimSuffix "Gi" $q | int) 1024 }}
{{- else if hasSuffix "Mi" $q }}{{ trimSuffix "Mi" $q | int }}
{{- else if hasSuffix "Ki" $q }}{{ div (trimSuffix "Ki" $q | int) 1024 }}
{{- else if hasSuffix "G" $q }}{{ div (mul (trimSuffix "G" $q | int64) 1000000000) 1048576 }}
{{- else if hasSuffix "M" $q }}{{ div (mul (trimSuffix "M" $q | int64) 1000000) 1048576 }}
{{- else if hasSuffix "k" $q }}{{ div (mul (trimSuffix "k" $q | int64) 1000) 1048576 }}
{{- else }}{{ div ($q | int64) 1048576 }}{{ end -}}
{{- end -}}
