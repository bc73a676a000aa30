#!/bin/sh
# The official nginx image's template step: every /etc/nginx/templates/*.template is rendered into
# /etc/nginx/conf.d with only the variables set in the environment substituted (nginx's own
# $variables stay as they are). Skipped when the output folder is not writable.
set -eu
if [ "${1:-}" = nginx ]; then
    templates=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
    out=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
    if [ -d "$templates" ]; then
        if [ -w "$out" ]; then
            defined=$(printf '${%s} ' $(env | cut -d= -f1))
            for t in "$templates"/*.template; do
                [ -f "$t" ] || continue
                target="$out/$(basename "$t" .template)"
                echo "$0: rendering $t to $target"
                envsubst "$defined" < "$t" > "$target"
            done
        else
            echo "$0: $out is not writable; templates not rendered"
        fi
    fi
fi
exec "$@"
