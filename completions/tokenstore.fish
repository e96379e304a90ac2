# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tokenstore_global_optspecs
    string join \n store= q/quiet h/help V/version
end

function __fish_tokenstore_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tokenstore_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tokenstore_using_subcommand
    set -l cmd (__fish_tokenstore_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tokenstore -n "__fish_tokenstore_needs_command" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_needs_command" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -s V -l version -d 'Print version'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "save" -d 'Save a token: update the matching one (by id, user name, or token) or add it'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "find" -d 'Find the token a save would update (first match wins); exit 3 if none'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "find-by-id" -d 'Show the token with this id; exit 3 if none'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "list" -d 'List tokens in id order, optionally filtered'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "delete" -d 'Delete tokens by id, or all tokens of a user (log out)'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "purge" -d 'Delete all tokens, or only the expired ones'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "migrate" -d 'Copy every token, ids included, to another store; verified, all-or-nothing'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "token" -d 'Print a working access token for a user or id, refreshing it first if needed'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "refresh" -d 'Get new access tokens from Zoho for tokens that expire soon, and save them'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "revoke" -d 'Revoke tokens at Zoho, then delete them from the store (log out)'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "check" -d 'Ask Zoho which tokens it still accepts; change nothing unless --purge'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "info" -d 'Describe a store: backend, location, counts, layout and warnings'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "index" -d 'Build the lookup indexes an existing SQL table lacks (online on MySQL)'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "completion" -d 'Print the shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "version" -d 'Print the version and the store backends this build has'
complete -c tokenstore -n "__fish_tokenstore_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l id -d 'Token id' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l user-name -l user -d 'User name (e-mail, or email:org_id in 8.0 stores)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l client-id -d 'OAuth client id' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l client-secret -d 'Client secret (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l refresh-token -d 'Refresh token (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l access-token -d 'Access token (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l grant-token -d 'Grant token (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l expiry-time -d 'Absolute expiry of the access token: milliseconds since the Unix epoch (1767225600000) or RFC 3339 (2026-12-01T00:00:00Z)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l expires-in -d 'Expiry of the access token relative to now, in seconds' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l redirect-url -d 'OAuth redirect URL' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l api-domain -d 'API domain (e.g. https://www.zohoapis.com)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l input -d 'Save tokens from a JSON object, array or JSON lines (the schema `list` prints); all are saved in one transaction' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l on-conflict -d 'With --input: what to do with a token whose id the store holds with other content (overwrite merges it, given fields winning, as save does)' -r -f -a "fail\t'Abort before writing anything'
skip\t'Keep the target\'s token'
overwrite\t'Replace the target\'s token'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -s o -l format -d 'Output format' -r -f -a "table\t'For people: fitted to the terminal; tab-separated when piped'
wide\t'The table with every column'
json\t''
jsonl\t''
csv\t'The FileStore layout'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l fields -d 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l json -d 'Short for --format json'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l reveal -d 'Show secrets in full instead of masked'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l no-headers -d 'No header line over tables (for scripts reading the tab-separated table)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -l safe-spreadsheet -d 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with \'; the output is then no longer a store file'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand save" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l id -d 'Token id' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l user-name -l user -d 'User name (e-mail, or email:org_id in 8.0 stores)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l client-id -d 'OAuth client id' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l client-secret -d 'Client secret (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l refresh-token -d 'Refresh token (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l access-token -d 'Access token (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l grant-token -d 'Grant token (`-` reads it from stdin)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -s o -l format -d 'Output format' -r -f -a "table\t'For people: fitted to the terminal; tab-separated when piped'
wide\t'The table with every column'
json\t''
jsonl\t''
csv\t'The FileStore layout'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l fields -d 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l json -d 'Short for --format json'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l reveal -d 'Show secrets in full instead of masked'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l no-headers -d 'No header line over tables (for scripts reading the tab-separated table)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -l safe-spreadsheet -d 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with \'; the output is then no longer a store file'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -s o -l format -d 'Output format' -r -f -a "table\t'For people: fitted to the terminal; tab-separated when piped'
wide\t'The table with every column'
json\t''
jsonl\t''
csv\t'The FileStore layout'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -l fields -d 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -l json -d 'Short for --format json'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -l reveal -d 'Show secrets in full instead of masked'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -l no-headers -d 'No header line over tables (for scripts reading the tab-separated table)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -l safe-spreadsheet -d 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with \'; the output is then no longer a store file'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand find-by-id" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l user -l user-name -d 'Only tokens of this user name' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l client-id -d 'Only tokens of this client id' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l api-domain -d 'Only tokens of this API domain' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l state -d 'Only tokens in this state: valid, refreshable (access token expired, a refresh or grant token left) or dead (nothing to refresh with)' -r -f -a "valid\t'It has an access token that has not expired (or has no expiry time)'
refreshable\t'Its access token is expired or missing, but a refresh or grant token can get a new one'
dead\t'Nothing left to use: no live access token, nothing to refresh with'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l expiring-within -d 'Only tokens not yet expired that expire within this time (e.g. 30m, 2h, 1d)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l limit -d 'Print at most this many tokens' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l sort -d 'Order: id or stored (streamed), expiry or user (sorted in memory)' -r -f -a "id\t'Numeric id order, streamed from the store'
expiry\t'Soonest expiry first (no expiry time last)'
user\t'User name, then id'
stored\t'As the store holds them (file order; the database\'s own), streamed as read: the first token out soonest'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -s o -l format -d 'Output format' -r -f -a "table\t'For people: fitted to the terminal; tab-separated when piped'
wide\t'The table with every column'
json\t''
jsonl\t''
csv\t'The FileStore layout'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l fields -d 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l expired -d 'Only tokens whose access token expired (expiry time at or before now)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l valid -d 'Only tokens whose access token has not expired (or has no expiry time)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l json -d 'Short for --format json'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l reveal -d 'Show secrets in full instead of masked'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l no-headers -d 'No header line over tables (for scripts reading the tab-separated table)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -l safe-spreadsheet -d 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with \'; the output is then no longer a store file'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -l user -l user-name -d 'Delete every token of this user name (log the user out)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -l accounts-url -d 'Zoho\'s accounts server [default: from each token\'s api_domain]' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -l strict -d 'Exit 3 when any id (or the user) has no token'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -l revoke -d 'Revoke each token at Zoho first; delete only those Zoho revoked'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -l force -d 'With --revoke: delete the tokens even when Zoho did not confirm'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand delete" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -s o -l format -d 'Output format' -r -f -a "table\t'For people: fitted to the terminal; tab-separated when piped'
wide\t'The table with every column'
json\t''
jsonl\t''
csv\t'The FileStore layout'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l fields -d 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l expired -l dead -d 'Delete only dead tokens: access token expired and no refresh or grant token to get a new one (refreshable tokens are kept)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l access-expired -d 'Delete every token whose access token expired, refreshable ones included (their users must authorise the application again)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l dry-run -d 'List what would be deleted, delete nothing'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -s v -l verbose -d 'Print the id of each token deleted'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l json -d 'Short for --format json'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l reveal -d 'Show secrets in full instead of masked'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l no-headers -d 'No header line over tables (for scripts reading the tab-separated table)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -l safe-spreadsheet -d 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with \'; the output is then no longer a store file'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -l from -d 'The store to copy from [default: --store]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -l to -d 'The store to copy to' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -l on-conflict -d 'What to do with a target token of the same id but other content' -r -f -a "fail\t'Abort before writing anything'
skip\t'Keep the target\'s token'
overwrite\t'Replace the target\'s token'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -s o -l format -d 'Summary format: table (a line of text) or json' -r -f -a "table\t'For people: fitted to the terminal; tab-separated when piped'
wide\t'The table with every column'
json\t''
jsonl\t''
csv\t'The FileStore layout'"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -l dry-run -d 'Print the plan, change nothing'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -l delete-source -d 'After the target is verified, delete the migrated tokens from the source'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -l json -d 'Short for --format json'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand token" -l user -l user-name -d 'The user\'s token (the first match, as the SDK\'s find_token)' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand token" -l min-valid -d 'Refresh first when the access token expires within this time' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand token" -l accounts-url -d 'Zoho\'s accounts server [default: from each token\'s api_domain]' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand token" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand token" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand token" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -l user -l user-name -d 'Every token of this user name' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -l expiring-within -d 'Refresh tokens whose access token expires within this time' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -l accounts-url -d 'Zoho\'s accounts server [default: from each token\'s api_domain]' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -l all -d 'Every token in the store'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -l dry-run -d 'Say what would be refreshed; ask Zoho nothing, change nothing'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -l json -d 'Print the report as JSON'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand refresh" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand revoke" -l user -l user-name -d 'Every token of this user name' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand revoke" -l accounts-url -d 'Zoho\'s accounts server [default: from each token\'s api_domain]' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand revoke" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand revoke" -l force -d 'Delete the tokens even when Zoho did not confirm the revoke'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand revoke" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -l user -l user-name -d 'Every token of this user name' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -l accounts-url -d 'Zoho\'s accounts server [default: from each token\'s api_domain]' -r
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -l all -d 'Check every token, also those whose access token is still valid (each check uses one of Zoho\'s 10 refreshes per 10 minutes)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -l purge -d 'Delete the tokens Zoho refuses (revoked or of a deleted client)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -l json -d 'Print the report as JSON'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand check" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand info" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand info" -l json -d 'Print the report as JSON'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand info" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand info" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand index" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand index" -l dry-run -d 'Say which indexes would be built, and build none'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand index" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand index" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand completion" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand completion" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand completion" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand version" -l store -d 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]' -r -f -a "memory:\t''
file:\t''
sqlite:\t''
mysql://\t''
postgres://\t''"
complete -c tokenstore -n "__fish_tokenstore_using_subcommand version" -l json -d 'Print it as JSON: {"version": …, "backends": […]}'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand version" -s q -l quiet -d 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand version" -s h -l help -d 'Print help'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "save" -d 'Save a token: update the matching one (by id, user name, or token) or add it'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "find" -d 'Find the token a save would update (first match wins); exit 3 if none'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "find-by-id" -d 'Show the token with this id; exit 3 if none'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "list" -d 'List tokens in id order, optionally filtered'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "delete" -d 'Delete tokens by id, or all tokens of a user (log out)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "purge" -d 'Delete all tokens, or only the expired ones'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "migrate" -d 'Copy every token, ids included, to another store; verified, all-or-nothing'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "token" -d 'Print a working access token for a user or id, refreshing it first if needed'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "refresh" -d 'Get new access tokens from Zoho for tokens that expire soon, and save them'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "revoke" -d 'Revoke tokens at Zoho, then delete them from the store (log out)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "check" -d 'Ask Zoho which tokens it still accepts; change nothing unless --purge'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "info" -d 'Describe a store: backend, location, counts, layout and warnings'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "index" -d 'Build the lookup indexes an existing SQL table lacks (online on MySQL)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "completion" -d 'Print the shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "version" -d 'Print the version and the store backends this build has'
complete -c tokenstore -n "__fish_tokenstore_using_subcommand help; and not __fish_seen_subcommand_from save find find-by-id list delete purge migrate token refresh revoke check info index completion version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
