#!/usr/bin/env bash
# One-shot set-up of the compose stack's Gitea, through its CLI (users, token) and its API (everything else):
#   admin user, bot user `promobot`, org `bootcamp`, team `sre` (the approvers: the admin and the bot in it), repo
#   `bootcamp/notes-deploy` seeded from compose/deploy-repo, the bot an administrator of it, the bot's token (written
#   for promobot to read), and the active webhook to promobot. The bot holds exactly the least privilege of
#   docs/ACCESS.md: repo admin (Gitea shows other users' permission to repo admins only) and a member of the
#   approvers' team (Gitea shows a team's members only to its members); never site admin or org owner. Safe to run again: each step looks before it creates, and the webhook is
#   brought back to the wanted state if someone changed it.
set -euo pipefail

GITEA_URL=${GITEA_URL:-http://gitea:3000}
ADMIN_USER=${ADMIN_USER:-bootcamp-admin}
ADMIN_EMAIL=${ADMIN_EMAIL:-admin@bootcamp.local}
BOT_USER=${BOT_USER:-promobot}
ORG=${ORG:-bootcamp}
TEAM=${TEAM:-sre}
REPO=${REPO:-notes-deploy}
HOOK_URL=${HOOK_URL:-http://promobot-serve:8080/webhooks/gitea}
TOKEN_FILE=${TOKEN_FILE:-/run/promobot/gitea-token}
SEED_DIR=${SEED_DIR:-/seed/deploy-repo}
# What promobot needs (docs/ACCESS.md): push, PRs, statuses and hooks; PR comments; team look-ups; its own login.
TOKEN_SCOPES=write:repository,write:issue,read:organization,read:user
# pull_request covers every pull request sub-event, reviews included; issue_comment carries the ChatOps comments.
HOOK_EVENTS='["push","pull_request","issue_comment","pull_request_review"]'

ADMIN_PASSWORD=$(tr -d '\r\n' <"${ADMIN_PASSWORD_FILE:-/run/secrets/gitea_admin_password}")
HOOK_SECRET=$(tr -d '\r\n' <"${HOOK_SECRET_FILE:-/run/secrets/gitea_webhook_secret}")

# The image points TMPDIR at /tmp/gitea, which only its normal entrypoint creates; this container skips that.
mkdir -p "${TMPDIR:-/tmp}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Credentials go through a netrc file, not the command line, so `ps` never shows them.
umask 077
printf 'machine %s login %s password %s\n' "$(echo "$GITEA_URL" | sed -E 's#^https?://([^:/]+).*#\1#')" \
  "$ADMIN_USER" "$ADMIN_PASSWORD" >"$work/netrc"

log() { printf 'gitea-init: %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

# api METHOD PATH [JSON]: sets STATUS and BODY.
api() {
  local args=(-sS --netrc-file "$work/netrc" -o "$work/body" -w '%{http_code}' -X "$1" -H 'Accept: application/json')
  if [ $# -ge 3 ]; then args+=(-H 'Content-Type: application/json' --data-binary "$3"); fi
  STATUS=$(curl "${args[@]}" "$GITEA_URL/api/v1$2")
  BODY=$(cat "$work/body")
}

json_string() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }

wait_for_gitea() {
  for _ in $(seq 1 90); do
    if curl -fsS -o /dev/null "$GITEA_URL/api/healthz"; then return 0; fi
    sleep 2
  done
  fail "Gitea did not answer at $GITEA_URL/api/healthz"
}

user_exists() { gitea admin user list 2>/dev/null | awk 'NR > 1 { print $2 }' | grep -qx "$1"; }

ensure_users() {
  if user_exists "$ADMIN_USER"; then
    log "admin $ADMIN_USER exists"
  else
    gitea admin user create --admin --username "$ADMIN_USER" --email "$ADMIN_EMAIL" \
      --password "$ADMIN_PASSWORD" --must-change-password=false >/dev/null
    log "created admin $ADMIN_USER"
  fi
  if user_exists "$BOT_USER"; then
    log "bot $BOT_USER exists"
  else
    # The bot never logs in with a password: a random one, thrown away.
    gitea admin user create --username "$BOT_USER" --email "$BOT_USER@bootcamp.local" --random-password \
      --must-change-password=false >/dev/null
    log "created bot $BOT_USER"
  fi
}

ensure_org_and_team() {
  api POST /orgs "{\"username\":\"$ORG\",\"full_name\":\"Bootcamp\",\"visibility\":\"public\"}"
  case $STATUS in 201) log "created org $ORG" ;; 422) log "org $ORG exists" ;; *) fail "create org: $STATUS $BODY" ;; esac

  api GET "/orgs/$ORG/teams/search?q=$TEAM"
  team_id=$(printf '%s' "$BODY" | grep -o "\"id\":[0-9]*,\"name\":\"$TEAM\"" | head -n1 | sed -E 's/"id":([0-9]+).*/\1/' || true)
  if [ -z "$team_id" ]; then
    api POST "/orgs/$ORG/teams" "{\"name\":\"$TEAM\",\"description\":\"Approves production promotions\",\"permission\":\"write\",\"includes_all_repositories\":true,\"units\":[\"repo.code\",\"repo.pulls\",\"repo.issues\"],\"units_map\":{\"repo.code\":\"write\",\"repo.pulls\":\"write\",\"repo.issues\":\"write\"}}"
    [ "$STATUS" = 201 ] || fail "create team: $STATUS $BODY"
    team_id=$(printf '%s' "$BODY" | sed -E 's/^\{"id":([0-9]+).*/\1/')
    log "created team $ORG/$TEAM"
  fi
  api PUT "/teams/$team_id/members/$ADMIN_USER"
  [ "$STATUS" = 204 ] || fail "add $ADMIN_USER to $TEAM: $STATUS $BODY"
  # The policy's approvers are team:$ORG/$TEAM: promobot must be in it to read who is.
  api PUT "/teams/$team_id/members/$BOT_USER"
  [ "$STATUS" = 204 ] || fail "add $BOT_USER to $TEAM: $STATUS $BODY"
}

ensure_repo() {
  api POST "/orgs/$ORG/repos" "{\"name\":\"$REPO\",\"description\":\"Deploy manifests, one folder per environment\",\"default_branch\":\"main\",\"private\":false,\"auto_init\":false}"
  case $STATUS in 201) log "created repo $ORG/$REPO" ;; 409) log "repo $ORG/$REPO exists" ;; *) fail "create repo: $STATUS $BODY" ;; esac

  api GET "/repos/$ORG/$REPO"
  if printf '%s' "$BODY" | grep -q '"empty":true'; then
    cp -R "$SEED_DIR/." "$work/seed"
    git -C "$work/seed" init -q -b main
    git -C "$work/seed" add -A
    git -C "$work/seed" -c user.name="$ADMIN_USER" -c user.email="$ADMIN_EMAIL" commit -q \
      -m "Seed chat-ui dev, staging and prod with pinned image tags"
    basic=$(printf '%s:%s' "$ADMIN_USER" "$ADMIN_PASSWORD" | base64 | tr -d '\n')
    git -C "$work/seed" -c http.extraHeader="Authorization: Basic $basic" push -q "$GITEA_URL/$ORG/$REPO.git" main
    log "seeded $ORG/$REPO from $SEED_DIR"
  fi

  api PUT "/repos/$ORG/$REPO/collaborators/$BOT_USER" '{"permission":"admin"}'
  [ "$STATUS" = 204 ] || fail "make $BOT_USER an administrator of $ORG/$REPO: $STATUS $BODY"
}

ensure_token() {
  if [ -s "$TOKEN_FILE" ] &&
    curl -fsS -o /dev/null -H "Authorization: token $(cat "$TOKEN_FILE")" "$GITEA_URL/api/v1/user"; then
    log "token in $TOKEN_FILE still works"
    return 0
  fi
  gitea admin user generate-access-token --username "$BOT_USER" --token-name "promobot-$(date +%s)" \
    --scopes "$TOKEN_SCOPES" --raw >"$TOKEN_FILE.new"
  mv "$TOKEN_FILE.new" "$TOKEN_FILE"
  chmod 0400 "$TOKEN_FILE"
  log "wrote a token of $BOT_USER ($TOKEN_SCOPES) to $TOKEN_FILE"
}

ensure_hook() {
  # Gitea leaves a hook created through the API inactive unless `active: true` is sent.
  local wanted
  wanted="{\"active\":true,\"branch_filter\":\"*\",\"events\":$HOOK_EVENTS,\"config\":{\"url\":$(json_string "$HOOK_URL"),\"content_type\":\"json\",\"secret\":$(json_string "$HOOK_SECRET")}}"
  api GET "/repos/$ORG/$REPO/hooks"
  # One hook object per line (each starts with its id), then the id of the one that posts to HOOK_URL. The escaped
  # newline in the replacement is POSIX sed, so busybox's sed (the image's) splits the same as GNU's.
  hook_id=$(printf '%s' "$BODY" | sed 's/{"id":/\
{"id":/g' | grep -F "\"url\":\"$HOOK_URL\"" | head -n1 | sed -E 's/^\{"id":([0-9]+).*/\1/' || true)
  if [ -n "$hook_id" ]; then
    api PATCH "/repos/$ORG/$REPO/hooks/$hook_id" "$wanted"
    [ "$STATUS" = 200 ] || fail "update webhook $hook_id: $STATUS $BODY"
    log "webhook $hook_id to $HOOK_URL is active"
  else
    api POST "/repos/$ORG/$REPO/hooks" "{\"type\":\"gitea\",${wanted#\{}"
    [ "$STATUS" = 201 ] || fail "create webhook: $STATUS $BODY"
    log "created the webhook to $HOOK_URL"
  fi
}

wait_for_gitea
ensure_users
ensure_org_and_team
ensure_repo
ensure_token
ensure_hook
log "done: http://localhost:3000/$ORG/$REPO (log in as $ADMIN_USER)"
