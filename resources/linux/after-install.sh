#!/bin/bash
# postinst of the SGLang Switchboard deb (electron-builder `deb.afterInstall`).
#
# electron-builder fills in its macros (dollar-brace executable / sanitizedProductName) before
# packaging and refuses any other dollar-brace name, so shell variables here are written $NAME.
# This script replaces electron-builder's own after-install template, so it first does what that
# template does (command link, chrome-sandbox, desktop/MIME databases, AppArmor profile), then:
#   - /usr/bin/switchboard and /usr/bin/switchboard-helper (the CLI and the root helper, run by
#     the app's own Electron as plain Node — no separate Node.js needed),
#   - the helper's group `sglang-switchboard` (systemd-sysusers, else groupadd),
#   - the helper's systemd unit, enabled; started only when systemd runs (not in a chroot or a
#     container build) and the root-owned catalog it serves exists.
# No step may fail the installation: each one reports and goes on.

APP_DIR='/opt/${sanitizedProductName}'
EXECUTABLE='${executable}'
RESOURCES="$APP_DIR/resources"
GROUP=sglang-switchboard
HELPER_UNIT=sglang-switchboard-helper.service
UNIT_DIR=/lib/systemd/system
SYSUSERS_FILE=/usr/lib/sysusers.d/sglang-switchboard.conf
ROOT_CATALOG=/etc/sglang-switchboard/switchboard.yaml

# --- electron-builder's standard steps -----------------------------------------------------------
if type update-alternatives >/dev/null 2>&1; then
  # A plain link from an older install is replaced by the alternatives link.
  if [ -L "/usr/bin/$EXECUTABLE" ] && [ -e "/usr/bin/$EXECUTABLE" ] && [ "$(readlink "/usr/bin/$EXECUTABLE")" != "/etc/alternatives/$EXECUTABLE" ]; then
    rm -f "/usr/bin/$EXECUTABLE"
  fi
  update-alternatives --install "/usr/bin/$EXECUTABLE" "$EXECUTABLE" "$APP_DIR/$EXECUTABLE" 100 || ln -sf "$APP_DIR/$EXECUTABLE" "/usr/bin/$EXECUTABLE"
else
  ln -sf "$APP_DIR/$EXECUTABLE" "/usr/bin/$EXECUTABLE"
fi

# Chromium's SUID sandbox helper only where unprivileged user namespaces do not work.
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; } 2>/dev/null; then
  chmod 4755 "$APP_DIR/chrome-sandbox" || true
else
  chmod 0755 "$APP_DIR/chrome-sandbox" || true
fi

if hash update-mime-database 2>/dev/null; then update-mime-database /usr/share/mime || true; fi
if hash update-desktop-database 2>/dev/null; then update-desktop-database /usr/share/applications || true; fi

# Ubuntu 24.04+ restricts unprivileged user namespaces unless an AppArmor profile allows them.
if apparmor_status --enabled >/dev/null 2>&1; then
  APPARMOR_SOURCE="$RESOURCES/apparmor-profile"
  APPARMOR_TARGET="/etc/apparmor.d/$EXECUTABLE"
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_SOURCE" >/dev/null 2>&1; then
    cp -f "$APPARMOR_SOURCE" "$APPARMOR_TARGET"
    if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_TARGET" || true
    fi
  else
    echo "SGLang Switchboard: this AppArmor does not accept the bundled profile; skipped"
  fi
fi

# --- SGLang Switchboard ------------------------------------------------------------------------------
# The commands: small wrappers in resources/linux that run bin/*.js with the app's Electron as Node.
for command in switchboard switchboard-helper; do
  chmod 0755 "$RESOURCES/linux/$command" || true
  ln -sf "$RESOURCES/linux/$command" "/usr/bin/$command"
done

# The group whose members may use the helper's socket.
install -D -m 0644 "$RESOURCES/systemd/sglang-switchboard.sysusers.conf" "$SYSUSERS_FILE" || true
if command -v systemd-sysusers >/dev/null 2>&1; then
  systemd-sysusers "$SYSUSERS_FILE" || true
fi
if ! getent group "$GROUP" >/dev/null 2>&1; then
  groupadd --system "$GROUP" || echo "SGLang Switchboard: could not create the group $GROUP; create it before starting $HELPER_UNIT"
fi

# The helper's unit: installed and enabled; started only when systemd runs and there is a catalog
# (without /etc/sglang-switchboard/switchboard.yaml it would fail and be restarted in a loop).
install -D -m 0644 "$RESOURCES/systemd/$HELPER_UNIT" "$UNIT_DIR/$HELPER_UNIT" || true
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  systemctl enable "$HELPER_UNIT" || true
  if [ -f "$ROOT_CATALOG" ]; then
    # restart, not start: an upgrade must run the new helper.
    systemctl restart "$HELPER_UNIT" || echo "SGLang Switchboard: $HELPER_UNIT did not start; see journalctl -u $HELPER_UNIT"
  else
    echo "SGLang Switchboard: $HELPER_UNIT is enabled and starts once $ROOT_CATALOG exists (root-owned, not group/other-writable):"
    echo "  systemctl start $HELPER_UNIT"
  fi
elif command -v systemctl >/dev/null 2>&1; then
  # No running systemd (chroot, image build): enable for the next boot only.
  systemctl enable "$HELPER_UNIT" >/dev/null 2>&1 || true
fi
echo "SGLang Switchboard: add the users who run the app or 'switchboard serve' to the group $GROUP (usermod -aG $GROUP USER) to let them use the helper."

exit 0
