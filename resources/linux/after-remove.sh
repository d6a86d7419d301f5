#!/bin/bash
# postrm of the SGLang Switchboard deb (electron-builder `deb.afterRemove`); same macro rule as
# after-install.sh: no dollar-brace names except electron-builder's macros.
#
# dpkg also runs postrm on upgrade ("upgrade", before the new postinst): then nothing is undone,
# the new version's after-install replaces links and unit. On "remove"/"purge" (and rpm's "0"):
# stop and disable the helper, remove its unit and the links this package made. The group and
# the helper's state (/var/lib/sglang-switchboard: confirmed power limits) stay: files may still
# belong to the group, and a reinstall re-applies the limits. "purge" also drops the sysusers file.

APP_DIR='/opt/${sanitizedProductName}'
EXECUTABLE='${executable}'
HELPER_UNIT=sglang-switchboard-helper.service
UNIT_DIR=/lib/systemd/system

case "$1" in
  remove | purge | 0) ;;
  *) exit 0 ;;
esac

if [ -d /run/systemd/system ]; then
  systemctl disable --now "$HELPER_UNIT" >/dev/null 2>&1 || true
elif command -v systemctl >/dev/null 2>&1; then
  systemctl disable "$HELPER_UNIT" >/dev/null 2>&1 || true
fi
rm -f "$UNIT_DIR/$HELPER_UNIT"
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi

# Only links that still point into this package (an admin may have replaced them).
for command in switchboard switchboard-helper; do
  case "$(readlink "/usr/bin/$command" 2>/dev/null)" in
    "$APP_DIR"/*) rm -f "/usr/bin/$command" ;;
  esac
done
if [ "$1" = purge ]; then rm -f /usr/lib/sysusers.d/sglang-switchboard.conf; fi

# --- electron-builder's standard steps -----------------------------------------------------------
if type update-alternatives >/dev/null 2>&1; then
  update-alternatives --remove "$EXECUTABLE" "$APP_DIR/$EXECUTABLE" || true
else
  rm -f "/usr/bin/$EXECUTABLE"
fi

APPARMOR_TARGET="/etc/apparmor.d/$EXECUTABLE"
if [ -f "$APPARMOR_TARGET" ]; then
  if apparmor_status --enabled >/dev/null 2>&1; then
    if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_TARGET" || true
    fi
  fi
  rm -f "$APPARMOR_TARGET"
fi

exit 0
