#!/usr/bin/env bash
# Install Postfix (for smtp-source, smtp-sink and as the peer MTA) and configure it as a
# loopback-only relay that sends everything to the benchmark's smtp-sink. Idempotent; needs root.
#   postfix-loopback.sh SINK_PORT
# Postfix keeps its default durability: cleanup fsyncs the queue file before smtpd answers 250.
set -euo pipefail
SINK_PORT=${1:?usage: postfix-loopback.sh SINK_PORT}
export DEBIAN_FRONTEND=noninteractive

if ! command -v smtp-source >/dev/null && [ ! -x /usr/sbin/smtp-source ]; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string bench.localdomain" | debconf-set-selections
  # Containers have no init system: keep the package's postinst from starting services.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1
  fi
  apt-get update -q || true
  apt-get install -y -q --no-install-recommends postfix
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

[ -f /etc/postfix/main.cf ] && [ ! -f /etc/postfix/main.cf.pre-bench ] && cp /etc/postfix/main.cf /etc/postfix/main.cf.pre-bench
cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf
[ -f /etc/postfix/master.cf ] || cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf

# Loopback only: it listens on 127.0.0.1, relays only for 127.0.0.0/8 and only to the sink.
postconf -e \
  "compatibility_level = 3.6" \
  "myhostname = bench.localdomain" \
  "mydestination =" \
  "local_recipient_maps =" \
  "alias_maps =" \
  "alias_database =" \
  "inet_interfaces = loopback-only" \
  "inet_protocols = ipv4" \
  "mynetworks = 127.0.0.0/8" \
  "smtpd_relay_restrictions = permit_mynetworks, reject" \
  "smtpd_recipient_restrictions = permit_mynetworks, reject" \
  "relayhost = [127.0.0.1]:${SINK_PORT}" \
  "smtp_fallback_relay =" \
  "smtp_bind_address = 127.0.0.1" \
  "disable_dns_lookups = yes" \
  "smtp_dns_support_level = disabled" \
  "smtp_host_lookup = native" \
  "smtpd_peername_lookup = no" \
  "smtpd_tls_security_level = none" \
  "smtp_tls_security_level = none" \
  "smtpd_tls_cert_file =" \
  "smtpd_tls_key_file =" \
  "biff = no" \
  "maillog_file = /var/log/postfix.log" \
  "message_size_limit = 104857600"
postconf -F '*/*/chroot = n'
postconf -M postlog/unix-dgram >/dev/null 2>&1 ||
  postconf -M 'postlog/unix-dgram=postlog   unix-dgram n  -       n       -       1       postlogd'
postfix check
postfix set-permissions >/dev/null 2>&1 || true
if postfix status >/dev/null 2>&1; then postfix reload; else postfix start; fi
for _ in $(seq 1 50); do ss -ltn | grep -q '127.0.0.1:25 ' && break; sleep 0.2; done
ss -ltn | grep -q '127.0.0.1:25 ' || { echo "postfix is not listening on 127.0.0.1:25" >&2; exit 1; }
if ss -ltn | awk '{print $4}' | grep -E ':25$' | grep -vq '^127\.'; then
  echo "postfix listens on a non-loopback address; refusing to benchmark" >&2; postfix stop; exit 1
fi
