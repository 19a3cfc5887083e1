#!/usr/bin/env bash
# System programs the tests run for real: the adb server (Android tests), OpenSSH's sshd
# (board tests), and the shells devices run the telemetry sampler under (mksh, busybox). Installed from Debian's packages when missing; needs root or sudo.
set -euo pipefail
need=()
command -v adb >/dev/null || need+=(adb)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v mksh >/dev/null || need+=(mksh)        # Android's /system/bin/sh (sampler tests)
command -v busybox >/dev/null || need+=(busybox)  # boards' ash (sampler tests)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[system_deps] installing ${need[*]}" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
