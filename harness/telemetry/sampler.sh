# devicebench on-device sampler (POSIX sh: dash, mksh/toybox, busybox ash).
#
#   sh sampler.sh discover ROOT            print PATH=VALUE for every candidate sensor file
#   sh sampler.sh sample SECONDS PATH...   every SECONDS print "S <uptime> <v1> <v2> ..."
#
# Reads use the `read` built-in and globs are expanded by the shell, so a discovery forks
# nothing and a tick forks at most `sleep` (nothing where `read -t` can wait instead).
# An unreadable file prints "NA" in its column.

discover() {
  r=${1%/}
  for f in "$r"/sys/class/thermal/thermal_zone*/type "$r"/sys/class/thermal/thermal_zone*/temp \
           "$r"/sys/class/thermal/thermal_zone*/trip_point_*_temp \
           "$r"/sys/class/thermal/thermal_zone*/trip_point_*_type \
           "$r"/sys/devices/system/cpu/cpufreq/policy*/scaling_cur_freq \
           "$r"/sys/devices/system/cpu/cpufreq/policy*/scaling_max_freq \
           "$r"/sys/devices/system/cpu/cpufreq/policy*/cpuinfo_max_freq \
           "$r"/sys/devices/system/cpu/cpufreq/policy*/related_cpus \
           "$r"/sys/class/devfreq/*/cur_freq "$r"/sys/class/devfreq/*/max_freq \
           "$r"/sys/class/power_supply/*/type "$r"/sys/class/power_supply/*/current_now \
           "$r"/sys/class/power_supply/*/voltage_now "$r"/sys/class/power_supply/*/status \
           "$r"/sys/class/power_supply/*/capacity "$r"/sys/class/power_supply/*/charge_counter \
           "$r"/sys/class/hwmon/hwmon*/name "$r"/sys/class/hwmon/hwmon*/in*_label \
           "$r"/sys/class/hwmon/hwmon*/in*_input "$r"/sys/class/hwmon/hwmon*/curr*_input \
           "$r"/sys/bus/iio/devices/iio:device*/energy_value \
           "$r"/etc/nv_tegra_release "$r"/sys/devices/soc0/family; do
    [ -r "$f" ] || continue
    v=
    read -r v 2>/dev/null < "$f"
    [ -n "$v" ] && echo "$f=$v"
  done
  command -v vcgencmd >/dev/null 2>&1 && echo "/tool/vcgencmd=1"
  command -v tegrastats >/dev/null 2>&1 && echo "/tool/tegrastats=1"
  echo "END"
}

sample() {
  interval=$1
  shift
  exec 2>/dev/null  # one redirection for the whole loop: unreadable files print NA
  # Shells with a fractional `read -t` (bash, mksh, busybox ash) wait on a FIFO nobody writes,
  # so a tick forks nothing; others (dash) fork `sleep`. Checked by timing, not by name.
  wait_mode=sleep
  fifo="${0%/*}/.tick.$$"
  if mkfifo "$fifo" && exec 3<>"$fifo"; then
    rm -f "$fifo"
    read -r a _ < /proc/uptime
    read -t 0.05 _ <&3
    read -r b _ < /proc/uptime
    [ $(( ${b%.*}${b#*.} - ${a%.*}${a#*.} )) -ge 4 ] && wait_mode=read
  fi
  if [ "$wait_mode" = sleep ] && [ -z "$DEVICEBENCH_SAMPLER_REEXEC" ]; then
    export DEVICEBENCH_SAMPLER_REEXEC=1  # once: a shell that can wait without forking
    for alt in mksh bash; do
      command -v "$alt" >/dev/null && exec "$alt" "$0" sample "$interval" "$@"
    done
    command -v busybox >/dev/null && exec busybox sh "$0" sample "$interval" "$@"
  fi
  echo "# devicebench-sampler $# $interval $wait_mode"
  while :; do
    up=NA
    read -r up _ < /proc/uptime
    line="S $up"
    for f in "$@"; do
      v=
      read -r v _ < "$f"
      line="$line ${v:-NA}"
    done
    echo "$line" || exit 0
    if [ "$wait_mode" = read ]; then
      read -t "$interval" _ <&3
    else
      sleep "$interval"
    fi
  done
}

mode=$1
shift
case "$mode" in
  discover) discover "${1:-/}" ;;
  sample) sample "$@" ;;
  *) echo "usage: sampler.sh discover ROOT | sample SECONDS PATH..." >&2; exit 2 ;;
esac
