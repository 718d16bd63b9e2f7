#!/usr/bin/env bash
# The seed's set-up and both of its scenarios, scripted with curl against the REST API
# (docs/api.md). tests/api/test_walkthrough.py runs this very file against a live server.
#
# Needs curl and jq, and people who already exist in the directory (the Admin center, the CLI
# or SCIM put them there), each with an API token (API tokens page, or
# `manage.py create_api_token EMAIL`):
#   API           e.g. http://127.0.0.1:8000/api/v1
#   ADMIN_TOKEN   a global admin
#   OLIVIA_TOKEN  Olivia, the business owner of "Expenses users"
#   MANNY_TOKEN   Manny, who owns another group ("Travel bookers")
#   SAM_TOKEN, SARA_TOKEN  two site owners
#   RITA_TOKEN    Rita, who asks to join
#   ALEX, BIANCA, CARLOS, MANNY, OLIVIA, SAM, SARA  their email addresses
#   SUFFIX        optional, appended to every name this script creates (to run it twice)
set -euo pipefail
S="${SUFFIX:-}"

# call TOKEN METHOD PATH [JSON]: prints the answer's body; any status >= 400 stops the script
# with the API's error message (docs/api.md, "Errors").
call() {
  local token=$1 method=$2 path=$3 body=${4:-}
  curl --silent --show-error --fail-with-body -X "$method" "$API$path" \
    -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
    ${body:+--data "$body"}
}

# --- The seed's set-up: owners decide requests; everyone may create groups -------------------
call "$ADMIN_TOKEN" PATCH /settings '{"owners_can_manage_requests": true,
  "users_can_create_security_groups": true, "users_can_create_microsoft365_groups": true}' >/dev/null

# --- Scenario 1: delegated group management ---------------------------------------------------
# The admin adds the SaaS application "Expenses"; Alex and Bianca already have it directly.
expenses=$(call "$ADMIN_TOKEN" POST /applications \
  "{\"name\": \"Expenses$S\", \"kind\": \"saas_app\"}" | jq -r .id)
for email in "$ALEX" "$BIANCA"; do
  call "$ADMIN_TOKEN" POST "/applications/$expenses/assignments" \
    "{\"principalType\": \"user\", \"principalId\": \"$email\"}" >/dev/null
done
# The admin creates "Expenses users" with Olivia as its business owner and gives it Expenses.
users=$(call "$ADMIN_TOKEN" POST /groups "{\"displayName\": \"Expenses users$S\",
  \"groupType\": \"security\", \"owners\": [\"$OLIVIA\"]}" | jq -r .id)
call "$ADMIN_TOKEN" POST "/applications/$expenses/assignments" \
  "{\"principalType\": \"group\", \"principalId\": $users}" >/dev/null
# …and bulk-adds everyone who already has access.
for person in $(call "$ADMIN_TOKEN" GET "/applications/$expenses/access?pageSize=200" \
  | jq -r '.items[].user.id'); do
  call "$ADMIN_TOKEN" POST "/groups/$users/members" "{\"userId\": $person}" >/dev/null
done
# Olivia adds Carlos, with no admin step; he has Expenses through the group.
call "$OLIVIA_TOKEN" POST "/groups/$users/members" "{\"userId\": \"$CARLOS\"}" >/dev/null
call "$ADMIN_TOKEN" GET "/applications/$expenses/access?search=$CARLOS" \
  | jq -e '.total == 1 and (.items[0].paths[0][0].type == "group")' >/dev/null
# Manny owns another group: he sees neither this group's members nor its requests.
call "$MANNY_TOKEN" POST /groups "{\"displayName\": \"Travel bookers$S\",
  \"groupType\": \"security\"}" >/dev/null
status=$(curl --silent --output /dev/null --write-out '%{http_code}' \
  -H "Authorization: Bearer $MANNY_TOKEN" "$API/groups/$users/members")
[ "$status" = 403 ]
call "$MANNY_TOKEN" GET "/requests?group=$users" | jq -e '.total == 0' >/dev/null
# The admin sees everyone with access to Expenses, and blocks Bianca.
call "$ADMIN_TOKEN" GET "/applications/$expenses/access" | jq -e '.total == 3' >/dev/null
call "$ADMIN_TOKEN" POST "/applications/$expenses/blocks" \
  "{\"userId\": \"$BIANCA\", \"reason\": \"Moved to another team\"}" >/dev/null
call "$ADMIN_TOKEN" GET "/applications/$expenses/access?search=$BIANCA" \
  | jq -e '.items[0].blocked == true' >/dev/null

# --- Scenario 2: self-service -----------------------------------------------------------------
# Sam and Sara each own a site; Sam creates an owner-approval group; both sites grant it.
site_a=$(call "$ADMIN_TOKEN" POST /applications \
  "{\"name\": \"Marketing site$S\", \"kind\": \"site\", \"owners\": [\"$SAM\"]}" | jq -r .id)
site_b=$(call "$ADMIN_TOKEN" POST /applications \
  "{\"name\": \"Launch site$S\", \"kind\": \"site\", \"owners\": [\"$SARA\"]}" | jq -r .id)
collaborators=$(call "$SAM_TOKEN" POST /groups "{\"displayName\": \"Site collaborators$S\",
  \"groupType\": \"security\", \"membershipPolicy\": \"owner_approval\"}" | jq -r .id)
call "$SAM_TOKEN" POST "/applications/$site_a/assignments" \
  "{\"principalType\": \"group\", \"principalId\": $collaborators}" >/dev/null
call "$SARA_TOKEN" POST "/applications/$site_b/assignments" \
  "{\"principalType\": \"group\", \"principalId\": $collaborators}" >/dev/null
# Rita asks to join with a justification; Sam approves; Rita has both sites.
asked=$(call "$RITA_TOKEN" POST "/groups/$collaborators/join" \
  '{"justification": "I run the launch newsletter"}' | jq -r .id)
call "$SAM_TOKEN" POST "/requests/$asked/approve" '{"reason": "Welcome"}' >/dev/null
call "$RITA_TOKEN" GET /me/access \
  | jq -e "[.items[].application.name] | contains([\"Marketing site$S\", \"Launch site$S\"])" \
  >/dev/null
# The admin of the SaaS application "Travel" grants it to one of the sites: every approved
# member of the group now also has Travel.
travel=$(call "$ADMIN_TOKEN" POST /applications \
  "{\"name\": \"Travel$S\", \"kind\": \"saas_app\"}" | jq -r .id)
call "$ADMIN_TOKEN" POST "/applications/$travel/assignments" \
  "{\"principalType\": \"application\", \"principalId\": $site_a}" >/dev/null
call "$RITA_TOKEN" GET /me/access | jq -e "[.items[].application.name] | index(\"Travel$S\")" \
  >/dev/null
echo "Both scenarios done: Expenses $expenses, Travel $travel."
