{{- define "kubezilla.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kubezilla.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubezilla.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubezilla.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kubezilla.labels" -}}
{{ include "kubezilla.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "kubezilla.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kubezilla.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kubezilla.oauth" -}}
{{- if .Values.auth.oauth.issuer -}}true{{- end -}}
{{- end -}}

{{- define "kubezilla.tokenSecret" -}}
{{- default (printf "%s-token" (include "kubezilla.fullname" .)) .Values.auth.token.existingSecret -}}
{{- end -}}

{{- define "kubezilla.keySecret" -}}
{{- default (printf "%s-confirmation-key" (include "kubezilla.fullname" .)) .Values.confirmationKey.existingSecret -}}
{{- end -}}

{{/* A Secret value created once: the one in the cluster if there is one (upgrades keep it), else new. */}}
{{- define "kubezilla.keepOrCreate" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .name -}}
{{- if and $existing (index $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- printf "%s%s" .prefix (randAlphaNum .length) | b64enc -}}
{{- end -}}
{{- end -}}

{{/* The names the Host header may carry: the Service's, the Ingress hosts', and the extra ones. */}}
{{- define "kubezilla.allowedHosts" -}}
{{- $full := include "kubezilla.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- $hosts := list $full (printf "%s.%s" $full $ns) (printf "%s.%s.svc" $full $ns) (printf "%s.%s.svc.cluster.local" $full $ns) -}}
{{- if .Values.ingress.enabled -}}{{- $hosts = concat $hosts .Values.ingress.hosts -}}{{- end -}}
{{- $hosts = concat $hosts .Values.mcp.extraAllowedHosts -}}
{{- toJson (uniq $hosts) -}}
{{- end -}}
