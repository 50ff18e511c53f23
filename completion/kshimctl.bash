# bash completion for kshimctl: commands, each command's options (read from
# its --help, so they cannot drift), build ids where a command takes one
# (last, last~N and the ids in the log), seeds from the sweep results for
# replay --seed, and files elsewhere. Installed as
# share/bash-completion/completions/kshimctl.

_kshimctl_builds()
{
	local dir=$1
	printf '%s\n' last last~1 last~2
	kshimctl builds ${dir:+--dir "$dir"} 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_kshimctl_seeds()
{
	local f=${1:-.kshim/sweep.json}
	[ -f "$f" ] && grep -o '"seed": *[0-9]*' "$f" 2>/dev/null | grep -o '[0-9]*$' | sort -un
}

_kshimctl()
{
	local cur prev cmd= i dir= results=
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$(kshimctl --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && NF { print $1 }') --help --version" -- "$cur"))
		return
	fi
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--dir) dir=${COMP_WORDS[i + 1]} ;;
		--results|-r) results=${COMP_WORDS[i + 1]} ;;
		esac
	done
	# after "--" the words are make's or the tool's
	for ((i = 1; i < COMP_CWORD; i++)); do
		[ "${COMP_WORDS[i]}" = -- ] && { COMPREPLY=($(compgen -f -- "$cur")); return; }
	done
	case $prev in
	-b|--build|--from|--good|--bad|--against)
		COMPREPLY=($(compgen -W "$(_kshimctl_builds "$dir")" -- "$cur")); return ;;
	--seed)
		COMPREPLY=($(compgen -W "$(_kshimctl_seeds "$results")" -- "$cur")); return ;;
	--dir)
		COMPREPLY=($(compgen -d -- "$cur")); return ;;
	-o|--output|--results|-r|--sweep|--diff|--test|--tools|--exclude|--seeds|--jobs|-j|--timeout|--build-id|--cache|--out|--lto|--relink)
		[ "$prev" = --lto ] && { COMPREPLY=($(compgen -W "thin full none" -- "$cur")); return; }
		[ "$prev" = --relink ] && { COMPREPLY=($(compgen -W "steps make" -- "$cur")); return; }
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	case $cur in
	-*)
		COMPREPLY=($(compgen -W "$(kshimctl "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u)" -- "$cur"))
		return ;;
	esac
	case $cmd in
	pin) [ "$COMP_CWORD" -le 2 ] && { COMPREPLY=($(compgen -W "save check" -- "$cur")); return; } ;;
	rules) [ "$COMP_CWORD" -le 2 ] && { COMPREPLY=($(compgen -W "check test" -- "$cur")); return; } ;;
	help) COMPREPLY=($(compgen -W "$(kshimctl --help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && NF { print $1 }')" -- "$cur")); return ;;
	diff|stats|fingerprint|report)
		COMPREPLY=($(compgen -W "$(_kshimctl_builds "$dir")" -- "$cur")); return ;;
	esac
	COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _kshimctl kshimctl
