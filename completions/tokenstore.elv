
use builtin;
use str;

set edit:completion:arg-completer[tokenstore] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'tokenstore'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'tokenstore'= {
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand save 'Save a token: update the matching one (by id, user name, or token) or add it'
            cand find 'Find the token a save would update (first match wins); exit 3 if none'
            cand find-by-id 'Show the token with this id; exit 3 if none'
            cand list 'List tokens in id order, optionally filtered'
            cand delete 'Delete tokens by id, or all tokens of a user (log out)'
            cand purge 'Delete all tokens, or only the expired ones'
            cand migrate 'Copy every token, ids included, to another store; verified, all-or-nothing'
            cand token 'Print a working access token for a user or id, refreshing it first if needed'
            cand refresh 'Get new access tokens from Zoho for tokens that expire soon, and save them'
            cand revoke 'Revoke tokens at Zoho, then delete them from the store (log out)'
            cand check 'Ask Zoho which tokens it still accepts; change nothing unless --purge'
            cand info 'Describe a store: backend, location, counts, layout and warnings'
            cand index 'Build the lookup indexes an existing SQL table lacks (online on MySQL)'
            cand completion 'Print the shell completion script (bash, zsh, fish, elvish, powershell)'
            cand version 'Print the version and the store backends this build has'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokenstore;save'= {
            cand --id 'Token id'
            cand --user-name 'User name (e-mail, or email:org_id in 8.0 stores)'
            cand --user 'User name (e-mail, or email:org_id in 8.0 stores)'
            cand --client-id 'OAuth client id'
            cand --client-secret 'Client secret (`-` reads it from stdin)'
            cand --refresh-token 'Refresh token (`-` reads it from stdin)'
            cand --access-token 'Access token (`-` reads it from stdin)'
            cand --grant-token 'Grant token (`-` reads it from stdin)'
            cand --expiry-time 'Absolute expiry of the access token: milliseconds since the Unix epoch (1767225600000) or RFC 3339 (2026-12-01T00:00:00Z)'
            cand --expires-in 'Expiry of the access token relative to now, in seconds'
            cand --redirect-url 'OAuth redirect URL'
            cand --api-domain 'API domain (e.g. https://www.zohoapis.com)'
            cand --input 'Save tokens from a JSON object, array or JSON lines (the schema `list` prints); all are saved in one transaction'
            cand --on-conflict 'With --input: what to do with a token whose id the store holds with other content (overwrite merges it, given fields winning, as save does)'
            cand -o 'Output format'
            cand --format 'Output format'
            cand --fields 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --json 'Short for --format json'
            cand --reveal 'Show secrets in full instead of masked'
            cand --no-headers 'No header line over tables (for scripts reading the tab-separated table)'
            cand --safe-spreadsheet 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'tokenstore;find'= {
            cand --id 'Token id'
            cand --user-name 'User name (e-mail, or email:org_id in 8.0 stores)'
            cand --user 'User name (e-mail, or email:org_id in 8.0 stores)'
            cand --client-id 'OAuth client id'
            cand --client-secret 'Client secret (`-` reads it from stdin)'
            cand --refresh-token 'Refresh token (`-` reads it from stdin)'
            cand --access-token 'Access token (`-` reads it from stdin)'
            cand --grant-token 'Grant token (`-` reads it from stdin)'
            cand -o 'Output format'
            cand --format 'Output format'
            cand --fields 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --json 'Short for --format json'
            cand --reveal 'Show secrets in full instead of masked'
            cand --no-headers 'No header line over tables (for scripts reading the tab-separated table)'
            cand --safe-spreadsheet 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'tokenstore;find-by-id'= {
            cand -o 'Output format'
            cand --format 'Output format'
            cand --fields 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --json 'Short for --format json'
            cand --reveal 'Show secrets in full instead of masked'
            cand --no-headers 'No header line over tables (for scripts reading the tab-separated table)'
            cand --safe-spreadsheet 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'tokenstore;list'= {
            cand --user 'Only tokens of this user name'
            cand --user-name 'Only tokens of this user name'
            cand --client-id 'Only tokens of this client id'
            cand --api-domain 'Only tokens of this API domain'
            cand --state 'Only tokens in this state: valid, refreshable (access token expired, a refresh or grant token left) or dead (nothing to refresh with)'
            cand --expiring-within 'Only tokens not yet expired that expire within this time (e.g. 30m, 2h, 1d)'
            cand --limit 'Print at most this many tokens'
            cand --sort 'Order: id or stored (streamed), expiry or user (sorted in memory)'
            cand -o 'Output format'
            cand --format 'Output format'
            cand --fields 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --expired 'Only tokens whose access token expired (expiry time at or before now)'
            cand --valid 'Only tokens whose access token has not expired (or has no expiry time)'
            cand --json 'Short for --format json'
            cand --reveal 'Show secrets in full instead of masked'
            cand --no-headers 'No header line over tables (for scripts reading the tab-separated table)'
            cand --safe-spreadsheet 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'tokenstore;delete'= {
            cand --user 'Delete every token of this user name (log the user out)'
            cand --user-name 'Delete every token of this user name (log the user out)'
            cand --accounts-url 'Zoho''s accounts server [default: from each token''s api_domain]'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --strict 'Exit 3 when any id (or the user) has no token'
            cand --revoke 'Revoke each token at Zoho first; delete only those Zoho revoked'
            cand --force 'With --revoke: delete the tokens even when Zoho did not confirm'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;purge'= {
            cand -o 'Output format'
            cand --format 'Output format'
            cand --fields 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --expired 'Delete only dead tokens: access token expired and no refresh or grant token to get a new one (refreshable tokens are kept)'
            cand --dead 'Delete only dead tokens: access token expired and no refresh or grant token to get a new one (refreshable tokens are kept)'
            cand --access-expired 'Delete every token whose access token expired, refreshable ones included (their users must authorise the application again)'
            cand --dry-run 'List what would be deleted, delete nothing'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand -v 'Print the id of each token deleted'
            cand --verbose 'Print the id of each token deleted'
            cand --json 'Short for --format json'
            cand --reveal 'Show secrets in full instead of masked'
            cand --no-headers 'No header line over tables (for scripts reading the tab-separated table)'
            cand --safe-spreadsheet 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'tokenstore;migrate'= {
            cand --from 'The store to copy from [default: --store]'
            cand --to 'The store to copy to'
            cand --on-conflict 'What to do with a target token of the same id but other content'
            cand -o 'Summary format: table (a line of text) or json'
            cand --format 'Summary format: table (a line of text) or json'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --dry-run 'Print the plan, change nothing'
            cand --delete-source 'After the target is verified, delete the migrated tokens from the source'
            cand --json 'Short for --format json'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'tokenstore;token'= {
            cand --user 'The user''s token (the first match, as the SDK''s find_token)'
            cand --user-name 'The user''s token (the first match, as the SDK''s find_token)'
            cand --min-valid 'Refresh first when the access token expires within this time'
            cand --accounts-url 'Zoho''s accounts server [default: from each token''s api_domain]'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;refresh'= {
            cand --user 'Every token of this user name'
            cand --user-name 'Every token of this user name'
            cand --expiring-within 'Refresh tokens whose access token expires within this time'
            cand --accounts-url 'Zoho''s accounts server [default: from each token''s api_domain]'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --all 'Every token in the store'
            cand --dry-run 'Say what would be refreshed; ask Zoho nothing, change nothing'
            cand --json 'Print the report as JSON'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;revoke'= {
            cand --user 'Every token of this user name'
            cand --user-name 'Every token of this user name'
            cand --accounts-url 'Zoho''s accounts server [default: from each token''s api_domain]'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --force 'Delete the tokens even when Zoho did not confirm the revoke'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;check'= {
            cand --user 'Every token of this user name'
            cand --user-name 'Every token of this user name'
            cand --accounts-url 'Zoho''s accounts server [default: from each token''s api_domain]'
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --all 'Check every token, also those whose access token is still valid (each check uses one of Zoho''s 10 refreshes per 10 minutes)'
            cand --purge 'Delete the tokens Zoho refuses (revoked or of a deleted client)'
            cand --json 'Print the report as JSON'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;info'= {
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --json 'Print the report as JSON'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;index'= {
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --dry-run 'Say which indexes would be built, and build none'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;completion'= {
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;version'= {
            cand --store 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]'
            cand --json 'Print it as JSON: {"version": …, "backends": […]}'
            cand -q 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand --quiet 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokenstore;help'= {
            cand save 'Save a token: update the matching one (by id, user name, or token) or add it'
            cand find 'Find the token a save would update (first match wins); exit 3 if none'
            cand find-by-id 'Show the token with this id; exit 3 if none'
            cand list 'List tokens in id order, optionally filtered'
            cand delete 'Delete tokens by id, or all tokens of a user (log out)'
            cand purge 'Delete all tokens, or only the expired ones'
            cand migrate 'Copy every token, ids included, to another store; verified, all-or-nothing'
            cand token 'Print a working access token for a user or id, refreshing it first if needed'
            cand refresh 'Get new access tokens from Zoho for tokens that expire soon, and save them'
            cand revoke 'Revoke tokens at Zoho, then delete them from the store (log out)'
            cand check 'Ask Zoho which tokens it still accepts; change nothing unless --purge'
            cand info 'Describe a store: backend, location, counts, layout and warnings'
            cand index 'Build the lookup indexes an existing SQL table lacks (online on MySQL)'
            cand completion 'Print the shell completion script (bash, zsh, fish, elvish, powershell)'
            cand version 'Print the version and the store backends this build has'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokenstore;help;save'= {
        }
        &'tokenstore;help;find'= {
        }
        &'tokenstore;help;find-by-id'= {
        }
        &'tokenstore;help;list'= {
        }
        &'tokenstore;help;delete'= {
        }
        &'tokenstore;help;purge'= {
        }
        &'tokenstore;help;migrate'= {
        }
        &'tokenstore;help;token'= {
        }
        &'tokenstore;help;refresh'= {
        }
        &'tokenstore;help;revoke'= {
        }
        &'tokenstore;help;check'= {
        }
        &'tokenstore;help;info'= {
        }
        &'tokenstore;help;index'= {
        }
        &'tokenstore;help;completion'= {
        }
        &'tokenstore;help;version'= {
        }
        &'tokenstore;help;help'= {
        }
    ]
    $completions[$command]
}
