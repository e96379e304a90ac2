
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tokenstore' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tokenstore'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tokenstore' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a token: update the matching one (by id, user name, or token) or add it')
            [CompletionResult]::new('find', 'find', [CompletionResultType]::ParameterValue, 'Find the token a save would update (first match wins); exit 3 if none')
            [CompletionResult]::new('find-by-id', 'find-by-id', [CompletionResultType]::ParameterValue, 'Show the token with this id; exit 3 if none')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens in id order, optionally filtered')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete tokens by id, or all tokens of a user (log out)')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete all tokens, or only the expired ones')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy every token, ids included, to another store; verified, all-or-nothing')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a working access token for a user or id, refreshing it first if needed')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Get new access tokens from Zoho for tokens that expire soon, and save them')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke tokens at Zoho, then delete them from the store (log out)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Ask Zoho which tokens it still accepts; change nothing unless --purge')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Describe a store: backend, location, counts, layout and warnings')
            [CompletionResult]::new('index', 'index', [CompletionResultType]::ParameterValue, 'Build the lookup indexes an existing SQL table lacks (online on MySQL)')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print the shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version and the store backends this build has')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenstore;save' {
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Token id')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'User name (e-mail, or email:org_id in 8.0 stores)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name (e-mail, or email:org_id in 8.0 stores)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id')
            [CompletionResult]::new('--client-secret', '--client-secret', [CompletionResultType]::ParameterName, 'Client secret (`-` reads it from stdin)')
            [CompletionResult]::new('--refresh-token', '--refresh-token', [CompletionResultType]::ParameterName, 'Refresh token (`-` reads it from stdin)')
            [CompletionResult]::new('--access-token', '--access-token', [CompletionResultType]::ParameterName, 'Access token (`-` reads it from stdin)')
            [CompletionResult]::new('--grant-token', '--grant-token', [CompletionResultType]::ParameterName, 'Grant token (`-` reads it from stdin)')
            [CompletionResult]::new('--expiry-time', '--expiry-time', [CompletionResultType]::ParameterName, 'Absolute expiry of the access token: milliseconds since the Unix epoch (1767225600000) or RFC 3339 (2026-12-01T00:00:00Z)')
            [CompletionResult]::new('--expires-in', '--expires-in', [CompletionResultType]::ParameterName, 'Expiry of the access token relative to now, in seconds')
            [CompletionResult]::new('--redirect-url', '--redirect-url', [CompletionResultType]::ParameterName, 'OAuth redirect URL')
            [CompletionResult]::new('--api-domain', '--api-domain', [CompletionResultType]::ParameterName, 'API domain (e.g. https://www.zohoapis.com)')
            [CompletionResult]::new('--input', '--input', [CompletionResultType]::ParameterName, 'Save tokens from a JSON object, array or JSON lines (the schema `list` prints); all are saved in one transaction')
            [CompletionResult]::new('--on-conflict', '--on-conflict', [CompletionResultType]::ParameterName, 'With --input: what to do with a token whose id the store holds with other content (overwrite merges it, given fields winning, as save does)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show secrets in full instead of masked')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'No header line over tables (for scripts reading the tab-separated table)')
            [CompletionResult]::new('--safe-spreadsheet', '--safe-spreadsheet', [CompletionResultType]::ParameterName, 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenstore;find' {
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Token id')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'User name (e-mail, or email:org_id in 8.0 stores)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name (e-mail, or email:org_id in 8.0 stores)')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'OAuth client id')
            [CompletionResult]::new('--client-secret', '--client-secret', [CompletionResultType]::ParameterName, 'Client secret (`-` reads it from stdin)')
            [CompletionResult]::new('--refresh-token', '--refresh-token', [CompletionResultType]::ParameterName, 'Refresh token (`-` reads it from stdin)')
            [CompletionResult]::new('--access-token', '--access-token', [CompletionResultType]::ParameterName, 'Access token (`-` reads it from stdin)')
            [CompletionResult]::new('--grant-token', '--grant-token', [CompletionResultType]::ParameterName, 'Grant token (`-` reads it from stdin)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show secrets in full instead of masked')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'No header line over tables (for scripts reading the tab-separated table)')
            [CompletionResult]::new('--safe-spreadsheet', '--safe-spreadsheet', [CompletionResultType]::ParameterName, 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenstore;find-by-id' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show secrets in full instead of masked')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'No header line over tables (for scripts reading the tab-separated table)')
            [CompletionResult]::new('--safe-spreadsheet', '--safe-spreadsheet', [CompletionResultType]::ParameterName, 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenstore;list' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Only tokens of this user name')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'Only tokens of this user name')
            [CompletionResult]::new('--client-id', '--client-id', [CompletionResultType]::ParameterName, 'Only tokens of this client id')
            [CompletionResult]::new('--api-domain', '--api-domain', [CompletionResultType]::ParameterName, 'Only tokens of this API domain')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Only tokens in this state: valid, refreshable (access token expired, a refresh or grant token left) or dead (nothing to refresh with)')
            [CompletionResult]::new('--expiring-within', '--expiring-within', [CompletionResultType]::ParameterName, 'Only tokens not yet expired that expire within this time (e.g. 30m, 2h, 1d)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Print at most this many tokens')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order: id or stored (streamed), expiry or user (sorted in memory)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Only tokens whose access token expired (expiry time at or before now)')
            [CompletionResult]::new('--valid', '--valid', [CompletionResultType]::ParameterName, 'Only tokens whose access token has not expired (or has no expiry time)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show secrets in full instead of masked')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'No header line over tables (for scripts reading the tab-separated table)')
            [CompletionResult]::new('--safe-spreadsheet', '--safe-spreadsheet', [CompletionResultType]::ParameterName, 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenstore;delete' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Delete every token of this user name (log the user out)')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'Delete every token of this user name (log the user out)')
            [CompletionResult]::new('--accounts-url', '--accounts-url', [CompletionResultType]::ParameterName, 'Zoho''s accounts server [default: from each token''s api_domain]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Exit 3 when any id (or the user) has no token')
            [CompletionResult]::new('--revoke', '--revoke', [CompletionResultType]::ParameterName, 'Revoke each token at Zoho first; delete only those Zoho revoked')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --revoke: delete the tokens even when Zoho did not confirm')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;purge' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--fields', '--fields', [CompletionResultType]::ParameterName, 'Only these values, comma-separated, in store order: the ten field names (id, user_name, …) and expired, expires_at, state')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--expired', '--expired', [CompletionResultType]::ParameterName, 'Delete only dead tokens: access token expired and no refresh or grant token to get a new one (refreshable tokens are kept)')
            [CompletionResult]::new('--dead', '--dead', [CompletionResultType]::ParameterName, 'Delete only dead tokens: access token expired and no refresh or grant token to get a new one (refreshable tokens are kept)')
            [CompletionResult]::new('--access-expired', '--access-expired', [CompletionResultType]::ParameterName, 'Delete every token whose access token expired, refreshable ones included (their users must authorise the application again)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'List what would be deleted, delete nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the id of each token deleted')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print the id of each token deleted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Show secrets in full instead of masked')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'No header line over tables (for scripts reading the tab-separated table)')
            [CompletionResult]::new('--safe-spreadsheet', '--safe-spreadsheet', [CompletionResultType]::ParameterName, 'With --format csv: prefix values that start with = + - @ (formulas to a spreadsheet) with ''; the output is then no longer a store file')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenstore;migrate' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The store to copy from [default: --store]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The store to copy to')
            [CompletionResult]::new('--on-conflict', '--on-conflict', [CompletionResultType]::ParameterName, 'What to do with a target token of the same id but other content')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Summary format: table (a line of text) or json')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Summary format: table (a line of text) or json')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan, change nothing')
            [CompletionResult]::new('--delete-source', '--delete-source', [CompletionResultType]::ParameterName, 'After the target is verified, delete the migrated tokens from the source')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Short for --format json')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'tokenstore;token' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user''s token (the first match, as the SDK''s find_token)')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'The user''s token (the first match, as the SDK''s find_token)')
            [CompletionResult]::new('--min-valid', '--min-valid', [CompletionResultType]::ParameterName, 'Refresh first when the access token expires within this time')
            [CompletionResult]::new('--accounts-url', '--accounts-url', [CompletionResultType]::ParameterName, 'Zoho''s accounts server [default: from each token''s api_domain]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;refresh' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Every token of this user name')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'Every token of this user name')
            [CompletionResult]::new('--expiring-within', '--expiring-within', [CompletionResultType]::ParameterName, 'Refresh tokens whose access token expires within this time')
            [CompletionResult]::new('--accounts-url', '--accounts-url', [CompletionResultType]::ParameterName, 'Zoho''s accounts server [default: from each token''s api_domain]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every token in the store')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be refreshed; ask Zoho nothing, change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;revoke' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Every token of this user name')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'Every token of this user name')
            [CompletionResult]::new('--accounts-url', '--accounts-url', [CompletionResultType]::ParameterName, 'Zoho''s accounts server [default: from each token''s api_domain]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Delete the tokens even when Zoho did not confirm the revoke')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;check' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Every token of this user name')
            [CompletionResult]::new('--user-name', '--user-name', [CompletionResultType]::ParameterName, 'Every token of this user name')
            [CompletionResult]::new('--accounts-url', '--accounts-url', [CompletionResultType]::ParameterName, 'Zoho''s accounts server [default: from each token''s api_domain]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Check every token, also those whose access token is still valid (each check uses one of Zoho''s 10 refreshes per 10 minutes)')
            [CompletionResult]::new('--purge', '--purge', [CompletionResultType]::ParameterName, 'Delete the tokens Zoho refuses (revoked or of a deleted client)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;info' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as JSON')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;index' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say which indexes would be built, and build none')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;completion' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;version' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print it as JSON: {"version": …, "backends": […]}')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (what was saved or deleted, hints); errors are still printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'tokenstore;help' {
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a token: update the matching one (by id, user name, or token) or add it')
            [CompletionResult]::new('find', 'find', [CompletionResultType]::ParameterValue, 'Find the token a save would update (first match wins); exit 3 if none')
            [CompletionResult]::new('find-by-id', 'find-by-id', [CompletionResultType]::ParameterValue, 'Show the token with this id; exit 3 if none')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens in id order, optionally filtered')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete tokens by id, or all tokens of a user (log out)')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete all tokens, or only the expired ones')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy every token, ids included, to another store; verified, all-or-nothing')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Print a working access token for a user or id, refreshing it first if needed')
            [CompletionResult]::new('refresh', 'refresh', [CompletionResultType]::ParameterValue, 'Get new access tokens from Zoho for tokens that expire soon, and save them')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke tokens at Zoho, then delete them from the store (log out)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Ask Zoho which tokens it still accepts; change nothing unless --purge')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Describe a store: backend, location, counts, layout and warnings')
            [CompletionResult]::new('index', 'index', [CompletionResultType]::ParameterValue, 'Build the lookup indexes an existing SQL table lacks (online on MySQL)')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print the shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version and the store backends this build has')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'tokenstore;help;save' {
            break
        }
        'tokenstore;help;find' {
            break
        }
        'tokenstore;help;find-by-id' {
            break
        }
        'tokenstore;help;list' {
            break
        }
        'tokenstore;help;delete' {
            break
        }
        'tokenstore;help;purge' {
            break
        }
        'tokenstore;help;migrate' {
            break
        }
        'tokenstore;help;token' {
            break
        }
        'tokenstore;help;refresh' {
            break
        }
        'tokenstore;help;revoke' {
            break
        }
        'tokenstore;help;check' {
            break
        }
        'tokenstore;help;info' {
            break
        }
        'tokenstore;help;index' {
            break
        }
        'tokenstore;help;completion' {
            break
        }
        'tokenstore;help;version' {
            break
        }
        'tokenstore;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
