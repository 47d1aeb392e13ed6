# Writes a prompt whose case "big" renders past 16 MiB (5 x 4 MB) to $1.
{
	printf 'name: Big\nmodel: openai:weak\nmodelParameters: {maxTokens: 100}\n'
	printf 'messages:\n  - {role: system, content: "You plan migrations."}\n'
	printf '  - {role: user, content: "{{x}}{{x}}{{x}}{{x}}{{x}}"}\n'
	printf 'testData:\n  - id: big\n    x: "'
	head -c 4000000 /dev/zero | tr '\0' a
	printf '"\n  - {id: small, x: small}\n'
	printf 'evaluators:\n  - {name: s, string: {contains: a}}\n'
} >"$1"
