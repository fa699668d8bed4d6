package org.caravan.runtime;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.caravan.auth.ClientAuthFailures;
import org.caravan.bounce.DoubleBounce;
import org.caravan.nexthop.TlsPolicy;
import org.caravan.policy.DisclosurePolicy;
import org.caravan.smtp.BareLineEndings;
import org.caravan.smtp.ClientChecks;
import org.caravan.smtp.ConnectionLimiter;
import org.caravan.smtp.NulOctets;
import org.caravan.smtp.SmtpServerConfig;

/**
 * Every Caravan setting, declared once: name, type, default and the README's description. The
 * order is the README's. application.properties holds the defaults an operator edits, and
 * SettingsCatalogTest checks it and the README tables against these declarations.
 */
public final class SettingsCatalog {
    private SettingsCatalog() {
    }

    public static final Setting<String> HOSTNAME = Setting.text("caravan.hostname", "",
            "name in the greeting, EHLO and Received headers; the node's name in metrics and on its broker connections")
            .computed("the machine's name");

    public static final Setting<String> SMTP_BIND = Setting.text("caravan.smtp.bind", "0.0.0.0",
            "address the SMTP listeners bind");

    public static final Setting<Integer> SMTP_PORT = Setting.integer("caravan.smtp.port", 2525,
            "SMTP listener port (MTA: mail from other servers)");

    public static final Setting<Boolean> SMTP_ENABLED = Setting.bool("caravan.smtp.enabled", true,
            "`false` leaves the MTA listener unbound");

    public static final Setting<Integer> SUBMISSION_PORT = Setting.integer("caravan.submission.port", 2587,
            "submission listener port (RFC 6409, STARTTLS offered)").shown("`2587` (587 in production)");

    public static final Setting<Boolean> SUBMISSION_ENABLED = Setting.bool("caravan.submission.enabled", true,
            "`false` leaves the submission listener unbound");

    public static final Setting<Integer> SUBMISSIONS_PORT = Setting.integer("caravan.submissions.port", 2465,
            "submission over implicit TLS (RFC 8314)").shown("`2465` (465 in production)");

    public static final Setting<Boolean> SUBMISSIONS_ENABLED = Setting.bool("caravan.submissions.enabled", true,
            "`false` leaves the implicit-TLS listener unbound");

    public static final Setting<String> TLS_CERT_FILE = Setting.text("caravan.tls.cert-file", "",
            "PEM certificate chain, leaf first; empty (with the key file): a self-signed development certificate");

    public static final Setting<String> TLS_KEY_FILE = Setting.text("caravan.tls.key-file", "",
            "PEM private key of that certificate (PKCS#8, PKCS#1 or EC; not encrypted)");

    public static final Setting<String> MYNETWORKS = Setting.text("caravan.mynetworks", "127.0.0.0/8,::1",
            "clients trusted to relay (CIDR list)");

    public static final Setting<String> RELAY_SMARTHOST = Setting.text("caravan.relay.smarthost", "",
            "next hop for all non-local mail without a transport entry").shown("empty (use MX)");

    public static final Setting<String> HOME = Setting.text("caravan.home", "",
            "the folder that relative paths in the other settings (data, broker and directory files, routes, TLS files) are taken from; `bin/caravan` of the distribution sets it to the installation").shown("empty (the working directory)");

    public static final Setting<String> DATA_DIR = Setting.text("caravan.data.dir", "./data",
            "broker journal, spool, mailboxes");

    public static final Setting<String> BROKER_URL = Setting.text("caravan.broker.url", "",
            "an external Artemis, e.g. `tcp://artemis:61616`").shown("empty (embedded)");

    public static final Setting<String> BROKER_USER = Setting.text("caravan.broker.user", "",
            "user of an external broker that requires one (its `security-settings`)").shown("empty (none)");

    public static final Setting<String> BROKER_PASSWORD = Setting.text("caravan.broker.password", "",
            "that user's password").shown("empty");

    public static final Setting<String> BROKER_CONFIG = Setting.text("caravan.broker.config", "broker/broker.xml",
            "configuration of the embedded broker");

    public static final Setting<String> DNS_SERVER = Setting.text("caravan.dns.server", "",
            "`host:port` of the DNS server for MX and DNSBL lookups").shown("system resolver");

    public static final Setting<String> DNSBL_ZONES = Setting.text("caravan.verify.dnsbl-zones", "",
            "DNS blocklists (RFC 5782) checked at RCPT for clients outside `caravan.mynetworks` that did not authenticate: a listed client gets `554 5.7.1 ... blocked using <zone>`; the `dnsbl` step in `verify.camel.yaml`");

    public static final Setting<Duration> DNS_TIMEOUT = Setting.duration("caravan.dns.timeout", "5s",
            "per DNS query; a timeout defers delivery (4.4.3). Formerly `caravan.dns.timeout-seconds`, still read").formerly("caravan.dns.timeout-seconds");

    public static final Setting<String> DIRECTORY_FILE = Setting.text("caravan.directory.file", "config/directory.yaml",
            "local domains, mailboxes, transport map");

    public static final Setting<Duration> ROUTES_RELOAD_INTERVAL = Setting.duration("caravan.routes.reload-interval", "2s",
            "how often the route files are checked for changes; a valid changed file replaces its routes (not the listeners), a broken one is logged with file, line and column and the running routes stay; `0` turns it off");
    public static final Setting<String> ROUTES_DIR = Setting.text("caravan.routes.dir", "routes",
            "folder of route files (`*.camel.yaml`, `*.camel.xml`)");

    public static final Setting<BareLineEndings> BARE_LINE_ENDINGS = Setting.choice("caravan.smtp.bare-line-endings", BareLineEndings.REJECT,
            "a bare CR or LF in message content: `reject` (`554 5.6.0`) or `normalize` (stored as CRLF)");

    public static final Setting<NulOctets> NUL_OCTETS = Setting.choice("caravan.smtp.nul-octets", NulOctets.REJECT,
            "a NUL octet in message content: `reject` (`554 5.6.0`) or `strip` (dropped)");

    public static final Setting<Integer> MAX_RECEIVED_HEADERS = Setting.integer("caravan.loop.max-received-headers", 100,
            "more Received headers than this is a loop (`554 5.4.6`)");

    public static final Setting<Integer> ROUTE_CONCURRENCY = Setting.positive("caravan.route.concurrency", 4,
            "consumers of the routing stage");

    public static final Setting<Integer> MAX_DELIVERIES = Setting.positive("caravan.queue.max-deliveries", 10,
            "a queued message handed out more often than this without a stage finishing it (the router died during it each time) goes to `caravan.dead`: bounced and held. Keep it equal to `max-delivery-attempts` in `broker/broker.xml`");

    public static final Setting<Duration> SHUTDOWN_GRACE = Setting.duration("caravan.smtp.shutdown-grace", "30s",
            "on shutdown, how long a DATA or BDAT transfer in progress may take to finish and be answered before every session gets `421 4.3.2`");

    public static final Setting<Duration> INFLOW_DELAY = Setting.duration("caravan.smtp.inflow-delay", "1s",
            "inflow control, as Postfix's `in_flow_delay`: while more than `caravan.smtp.inflow-backlog` accepted messages wait for the stages, the reply to each new message waits, longer the more wait, at most this long (never refused); `0` turns it off");

    public static final Setting<Integer> INFLOW_BACKLOG = Setting.positive("caravan.smtp.inflow-backlog", 50,
            "how many accepted messages may wait in `caravan.inbound` and `caravan.relay` before new mail is slowed down (`caravan.smtp.inflow-delay`)");

    public static final Setting<Long> GATEWAY_INLINE_LIMIT = Setting.size("caravan.gateway.inline-limit", 1_048_576L,
            "in a gateway's JSON document, attachments up to this many octets are inlined (base64); larger ones are a `ref`, the path of a file kept until the attempt is over");

    public static final Setting<Integer> GATEWAY_HTTP_PORT = Setting.integer("caravan.gateway.http.port", 0,
            "port of the inbound HTTP gateway (`POST /api/v1/messages`); `0` turns it off");

    public static final Setting<String> GATEWAY_HTTP_BIND = Setting.text("caravan.gateway.http.bind", "127.0.0.1",
            "address the inbound HTTP gateway listens on");

    public static final Setting<Boolean> GATEWAY_HTTP_TLS = Setting.bool("caravan.gateway.http.tls", false,
            "HTTPS on the inbound HTTP gateway, with the certificate of `caravan.tls.cert-file` / `caravan.tls.key-file` (or the development certificate)");

    public static final Setting<String> GATEWAY_HTTP_TOKEN = Setting.text("caravan.gateway.http.token", "",
            "bearer token that may post to the inbound HTTP gateway (`Authorization: Bearer ...`); empty for none (then only directory users, with HTTP Basic)");

    public static final Setting<String> GATEWAY_HTTP_USERS = Setting.text("caravan.gateway.http.users", "",
            "comma-separated directory users (addresses) who may post with HTTP Basic; empty: every directory user with a password");

    public static final Setting<Integer> GATEWAY_HTTP_THREADS = Setting.positive("caravan.gateway.http.threads", 16,
            "requests the inbound HTTP gateway handles at once");

    public static final Setting<Boolean> ETRN_ENABLED = Setting.bool("caravan.etrn.enabled", true,
            "ETRN (RFC 1985) on the MTA listener, for domains whose transport entry says `hold: etrn`; `false`: `502 5.5.1`, not advertised");

    public static final Setting<Boolean> ETRN_TRUSTED_ONLY = Setting.bool("caravan.etrn.trusted-only", false,
            "ETRN only from clients in `caravan.mynetworks` or authenticated; others get `459`");

    public static final Setting<Boolean> TURN_ENABLED = Setting.bool("caravan.turn.enabled", false,
            "TURN (RFC 821) for authenticated customers of `hold: odmr` domains, like ATRN for all their domains; `false`: `502 5.5.1` to everyone (RFC 2821 §4.1.1)");

    public static final Setting<Boolean> ODMR_ENABLED = Setting.bool("caravan.odmr.enabled", false,
            "the ODMR listener (RFC 2645): customers authenticate and take their `hold: odmr` domains' mail with ATRN");

    public static final Setting<Integer> ODMR_PORT = Setting.integer("caravan.odmr.port", 2366,
            "ODMR listener port").shown("`2366` (366 in production)");

    public static final Setting<String> ODMR_CLIENT_HOST = Setting.text("caravan.odmr.client.host", "",
            "our ODMR provider (we are its customer): host to connect to for ATRN; empty: we never ask");

    public static final Setting<Integer> ODMR_CLIENT_PORT = Setting.integer("caravan.odmr.client.port", 366,
            "the provider's ODMR port");

    public static final Setting<String> ODMR_CLIENT_USER = Setting.text("caravan.odmr.client.user", "",
            "our AUTH user at the provider");

    public static final Setting<String> ODMR_CLIENT_PASSWORD = Setting.text("caravan.odmr.client.password", "",
            "our AUTH password at the provider (AUTH PLAIN, only under TLS)");

    public static final Setting<String> ODMR_CLIENT_DOMAINS = Setting.text("caravan.odmr.client.domains", "",
            "comma-separated domains to ask for with ATRN; empty: every domain the provider holds for us");

    public static final Setting<Duration> ODMR_CLIENT_INTERVAL = Setting.duration("caravan.odmr.client.interval", "5m",
            "how often we connect to the provider and ask (ATRN)");

    public static final Setting<TlsPolicy> ODMR_CLIENT_TLS = Setting.tls("caravan.odmr.client.tls", TlsPolicy.VERIFY,
            "TLS to the provider: `verify` (certificate and name, trust from `caravan.relay.tls-ca-file` or the JDK), `encrypt` (any certificate); never in clear, the password goes over it");

    public static final Setting<Integer> MANAGEMENT_PORT = Setting.integer("caravan.management.port", 0,
            "management server (`/observe/health`, `/observe/metrics`); 0: off");

    public static final Setting<String> MANAGEMENT_BIND = Setting.text("caravan.management.bind", "127.0.0.1",
            "address the management server binds");

    public static final Setting<String> MANAGEMENT_TOKEN = Setting.text("caravan.management.token", "",
            "bearer token of the queue API on the management port; empty: one generated into `caravan.data.dir/management.token` (mode 0600), which the `queue` commands read");

    public static final Setting<Long> MANAGEMENT_MIN_FREE_DISK = Setting.size("caravan.management.min-free-disk", 268_435_456L,
            "free space under `caravan.data.dir` (journal, spool, mailboxes) below which the router reports itself not ready");

    public static final Setting<String> EVENTS_ENDPOINT = Setting.text("caravan.events.endpoint", "jms:topic:caravan.events",
            "where delivery events go (accepted, delivered, deferred, bounced, expired; JSON): any Camel endpoint URI, e.g. a webhook `http://...`; empty: none");

    public static final Setting<LogFormat> LOG_FORMAT = Setting.choice("caravan.log.format", LogFormat.TEXT,
            "the console log: `text` lines, or `json` (one JSON object per line, for log shippers)");

    public static final Setting<Boolean> HOLD_COUNTS_TOWARD_LIFETIME = Setting.bool("caravan.queue.hold-counts-toward-lifetime", true,
            "time on hold (`queue hold`) counts toward `caravan.queue.lifetime`; `false`: a released message gets that time back");

    public static final Setting<Integer> RELAY_CONCURRENCY = Setting.positive("caravan.relay.concurrency", 10,
            "parallel outbound SMTP deliveries");

    public static final Setting<Integer> RELAY_SMTP_PORT = Setting.integer("caravan.relay.smtp-port", 25,
            "port used for hosts found through MX");

    public static final Setting<Duration> RELAY_CONNECT_TIMEOUT = Setting.duration("caravan.relay.connect-timeout", "30s",
            "outbound connect timeout. Formerly `caravan.relay.connect-timeout-seconds`, still read").formerly("caravan.relay.connect-timeout-seconds");

    public static final Setting<Duration> RELAY_COMMAND_TIMEOUT = Setting.duration("caravan.relay.command-timeout", "5m",
            "outbound per-command timeout. Formerly `caravan.relay.command-timeout-seconds`, still read").formerly("caravan.relay.command-timeout-seconds");

    public static final Setting<TlsPolicy> RELAY_TLS = Setting.tls("caravan.relay.tls", TlsPolicy.MAY,
            "outbound STARTTLS level: `none`, `may`, `encrypt` or `verify` (see \"Outbound TLS\"); a `tls:` in the transport map wins");

    public static final Setting<String> RELAY_TLS_CA_FILE = Setting.text("caravan.relay.tls-ca-file", "",
            "PEM file of the CAs a `verify` next hop must chain to; replaces the JDK's, like Postfix's `smtp_tls_CAfile`").shown("empty (JDK trust store)");

    public static final Setting<Duration> RETRY_MIN_BACKOFF = Setting.duration("caravan.retry.min-backoff", "5m",
            "wait after the first failed attempt, doubling after each one");

    public static final Setting<Duration> RETRY_MAX_BACKOFF = Setting.duration("caravan.retry.max-backoff", "1h",
            "longest wait between attempts");

    public static final Setting<Duration> QUEUE_LIFETIME = Setting.duration("caravan.queue.lifetime", "5d",
            "after this, recipients still failing bounce with status 4.4.7");

    public static final Setting<Duration> DELAY_WARNING = Setting.duration("caravan.dsn.delay-warning", "4h",
            "one delay warning to the sender after this long; `0` turns it off");

    public static final Setting<DoubleBounce> DOUBLE_BOUNCE = Setting.choice("caravan.bounce.double-bounce", DoubleBounce.POSTMASTER,
            "failed mail from `<>`: `postmaster` (one double bounce) or `drop` (a log line)");

    public static final Setting<Long> BOUNCE_SIZE_LIMIT = Setting.size("caravan.bounce.size-limit", 50_000L,
            "octets of the original returned in a bounce; larger ones return their headers");

    public static final Setting<DisclosurePolicy.Mode> VRFY = Setting.choice("caravan.vrfy", DisclosurePolicy.Mode.TRUSTED,
            "who VRFY answers from the directory: `off`, `trusted` (mynetworks, authenticated) or `on`; others get `252`");

    public static final Setting<DisclosurePolicy.Mode> EXPN = Setting.choice("caravan.expn", DisclosurePolicy.Mode.TRUSTED,
            "the same for EXPN; `off` answers `502`, the untrusted get `252`");

    public static final Setting<String> SRS_SECRET = Setting.text("caravan.srs.secret", "",
            "HMAC key of SRS addresses for forwarded mail; empty: a random one is created on first start and kept in `caravan.data.dir/srs.secret`, so it survives restarts. Keep it stable: changing it invalidates outstanding addresses").shown("generated");

    public static final Setting<String> SRS_DOMAIN = Setting.text("caravan.srs.domain", "",
            "domain of SRS addresses; must be one of the local domains so their bounces come back here").shown("the directory's first domain");

    public static final Setting<Duration> SRS_MAX_AGE = Setting.duration("caravan.srs.max-age", "21d",
            "how long an SRS address stays reversible (whole days); older ones are refused (`550 5.7.1`)");

    public static final Setting<Integer> AUTH_MAX_FAILURES = Setting.integer("caravan.auth.max-failures", SmtpServerConfig.Auth.DEFAULT_MAX_FAILURES,
            "refused AUTH attempts per session, then `421 4.7.0` and close");

    public static final Setting<Duration> AUTH_FAILURE_DELAY = Setting.duration("caravan.auth.failure-delay", "1s",
            "delay before a `535`, doubling with each failure in the session; `0` answers at once");

    public static final Setting<Duration> AUTH_MAX_FAILURE_DELAY = Setting.duration("caravan.auth.max-failure-delay", "8s",
            "cap of that doubling delay");

    public static final Setting<Integer> AUTH_CLIENT_MAX_FAILURES = Setting.integer("caravan.auth.client-max-failures", ClientAuthFailures.Limits.DEFAULTS.maxFailures(),
            "failures from one client address (across sessions) that hold it off; `0` turns it off");

    public static final Setting<Duration> AUTH_CLIENT_WINDOW = Setting.duration("caravan.auth.client-window", "10m",
            "how far back those failures count");

    public static final Setting<Duration> AUTH_CLIENT_PENALTY = Setting.duration("caravan.auth.client-penalty", "10m",
            "how long a held-off address gets `454 4.7.0` to AUTH (no password check)");

    public static final Setting<Integer> MAX_CONNECTIONS = Setting.integer("caravan.smtp.max-connections", ConnectionLimiter.DEFAULT_MAX_CONNECTIONS,
            "a new connection gets `421 4.7.0 <host> Error: too many connections` and is closed before any session starts");

    public static final Setting<Integer> MAX_CONNECTIONS_PER_CLIENT = Setting.integer("caravan.smtp.max-connections-per-client", ConnectionLimiter.DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            "the same with `... Error: too many connections from your address`; clients in `caravan.mynetworks` are exempt (Postfix's `smtpd_client_event_limit_exceptions`)");

    public static final Setting<Duration> COMMAND_TIMEOUT = Setting.duration("caravan.smtp.command-timeout", "5m",
            "waiting for a command (RFC 5321 §4.5.3.2): `421 4.4.2 <host> Error: timeout exceeded`, then close").formerly("caravan.smtp.timeout-seconds");

    public static final Setting<Duration> DATA_TIMEOUT = Setting.duration("caravan.smtp.data-timeout", "3m",
            "waiting for each line of DATA, the final `.` included (RFC 5321 §4.5.3.2.5): the same `421 4.4.2`");

    public static final Setting<Duration> DECISION_TIMEOUT = Setting.duration("caravan.smtp.decision-timeout", "10m",
            "a route (policy, queueing, password check) that has not answered by then: `421 4.4.2` and close; the client itself waits 10 minutes for the end of DATA (RFC 5321 §4.5.3.2.6)");

    public static final Setting<Integer> MAX_COMMAND_LINE = Setting.integer("caravan.smtp.max-command-line", SmtpServerConfig.DEFAULT_MAX_COMMAND_LINE,
            "octets with CRLF, at least `512` (RFC 5321 §4.5.3.1.4): `500 5.5.2 Line too long` at once");

    public static final Setting<Integer> MAX_TEXT_LINE = Setting.integer("caravan.smtp.max-text-line", SmtpServerConfig.DEFAULT_MAX_TEXT_LINE,
            "octets of a DATA line with CRLF, at least `1000` (RFC 5321 §4.5.3.1.6): the message is refused with `500 5.5.2` after its final `.`. Lines between 1000 and this are accepted, but never sent on as they are (ADR 0011): outbound, a body part holding a line over 998 octets is re-encoded as quoted-printable (a reader sees the same text); a long line no encoding can shorten (a header field, a part already in base64) is broken with CRLF SPACE, as Postfix's `smtp_line_length_limit` does. A bounce returns such a message whole when re-encoding makes it safe, its headers otherwise");

    public static final Setting<Integer> MAX_RECIPIENTS = Setting.integer("caravan.smtp.max-recipients", SmtpServerConfig.DEFAULT_MAX_RECIPIENTS,
            "RCPTs per message, at least `100` (RFC 5321 §4.5.3.1.8): `452 4.5.3 Too many recipients`; those already accepted stay and get the message");

    public static final Setting<Long> MAX_MESSAGE_SIZE = Setting.size("caravan.smtp.max-message-size", SmtpServerConfig.DEFAULT_MAX_MESSAGE_SIZE,
            "octets, advertised as `SIZE` (RFC 1870): `552 5.3.4` at MAIL for a larger `SIZE=`, and after the final `.` for larger content");

    public static final Setting<Integer> MAX_ERRORS = Setting.integer("caravan.smtp.max-errors", SmtpServerConfig.DEFAULT_MAX_ERRORS,
            "refused commands per session (Postfix's `smtpd_hard_error_limit`): bad commands (`500`–`504`, `555`), refused RCPTs (an unknown user's `550 5.1.1`, a relay denial) and VRFY/EXPN refused with 5xx; the next one gets `421 4.7.0 Error: too many errors` and the connection is closed. mynetworks and authenticated clients too");

    public static final Setting<Integer> SOFT_ERROR_LIMIT = Setting.integer("caravan.smtp.soft-error-limit", ClientChecks.DEFAULT_SOFT_ERROR_LIMIT,
            "past this many refusals, each further refusal is answered only after `caravan.smtp.error-sleep` (Postfix's `smtpd_soft_error_limit`), so a recipient harvester gets one answer a second; mynetworks is not slowed");

    public static final Setting<Duration> ERROR_SLEEP = Setting.duration("caravan.smtp.error-sleep", "1s",
            "that wait (Postfix's `smtpd_error_sleep_time`); `0` answers at once; `500ms` is allowed");

    public static final Setting<Duration> PREGREET_WAIT = Setting.duration("caravan.smtp.pregreet-wait", "1s",
            "on the MTA port the `220` greeting waits this long; a client that talks before it (a bot that does not wait, postscreen's pregreet test) gets `554 5.5.0 Error: SMTP protocol synchronization` and is closed. mynetworks and the submission ports are greeted at once; `0` turns it off");

    public static final Setting<Boolean> FORBID_EARLY_INPUT = Setting.bool("caravan.smtp.forbid-early-input", true,
            "a command sent before the reply to the previous one while PIPELINING is not in effect (before EHLO, after HELO: RFC 2920) gets the same `554 5.5.0` and close (Postfix's `smtpd_forbid_unauth_pipelining`); mynetworks is exempt");

    public static final Setting<Integer> MAX_JUNK_COMMANDS = Setting.integer("caravan.smtp.max-junk-commands", SmtpServerConfig.DEFAULT_MAX_JUNK_COMMANDS,
            "NOOP, RSET, VRFY, EXPN and HELP since the last accepted message (Postfix's `smtpd_junk_command_limit`); each further one is answered but also counts as an error, so a client that only stalls or probes is closed at the error limit");

    /** Every declared setting, in declaration order. */
    public static final List<Setting<?>> ALL = declared();

    private static List<Setting<?>> declared() {
        List<Setting<?>> all = new ArrayList<>();
        for (Field f : SettingsCatalog.class.getDeclaredFields()) {
            if (f.getType() == Setting.class && Modifier.isStatic(f.getModifiers())) {
                try {
                    all.add((Setting<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return List.copyOf(all);
    }
}
