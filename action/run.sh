#!/usr/bin/env bash
# The GitHub Action's run step (action.yml): the inputs come as INPUT_* variables.
set -euo pipefail
read -r -a paths <<< "${INPUT_PATHS:-.}"
read -r -a extra <<< "${INPUT_ARGS:-}"
mode="${INPUT_MODE:-check}"
case "$mode" in
  check) command=(check) ;;
  fix) command=(fix) ;;
  diff) command=(fix --diff) ;;
  *)
    echo "::error title=manifesto::mode must be check, fix or diff, got '$mode'"
    exit 2
    ;;
esac
options=()
case "${INPUT_UNSAFE_FIXES:-false}" in
  true) options+=(--unsafe-fixes) ;;
  false) ;;
  *)
    echo "::error title=manifesto::unsafe-fixes must be true or false, got '$INPUT_UNSAFE_FIXES'"
    exit 2
    ;;
esac
if [ "$mode" != diff ]; then
  options+=(--output-format "${INPUT_OUTPUT_FORMAT:-github}")
fi
if [ -n "${INPUT_OUTPUT_FILE:-}" ]; then
  options+=(--output-file "$INPUT_OUTPUT_FILE")
fi
exec manifesto "${command[@]}" "${options[@]}" ${extra[@]+"${extra[@]}"} -- "${paths[@]}"
