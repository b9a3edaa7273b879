"""``python -m pockit._contract`` prints the README's run-directory tables."""

from pockit._contract._docs import contract_markdown

print(contract_markdown(), end="")
