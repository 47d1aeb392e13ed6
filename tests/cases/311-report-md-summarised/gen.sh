# Writes 12 prompts of 2 cases each into directory $1: with 10 models
# and 6 temperatures, 720 rows of the pass-rate matrix, far more than
# report.md can hold under GitHub's comment limit.  Names carry
# multibyte UTF-8 and Markdown that must be escaped.
mkdir -p "$1" || exit 1
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
	cat >"$1/p$i.prompt.yml" <<YAML
name: "summarise-日本語-|pipe|-$i"
messages:
  - role: user
    content: "table {{table}}"
testData:
  - {id: "users-$i", vars: {table: users}}
  - {id: "orders-$i", vars: {table: orders}}
evaluators:
  - name: mentions users
    string: {contains: users}
YAML
done
