"""The sandbox mail servers' configuration files, filled in by `MailServers` with its directory,
ports and TLS files (`str.format`: a literal brace is doubled)."""

DOVECOT_CONF = """
base_dir = {root}/dovecot-run
state_dir = {root}/dovecot-state
log_path = {root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <{tls_dir}/server.crt
ssl_key = <{tls_dir}/server.key
disable_plaintext_auth = no
# A failed login must not slow every later test's logins from 127.0.0.1.
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
auth_verbose = yes
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_uid = mail
mail_gid = mail
first_valid_uid = 1
first_valid_gid = 1
mail_fsync = never
postmaster_address = postmaster@{prober_domain}
hostname = mx.test
submission_host = 127.0.0.1:{mx}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users_file}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users_file}
  default_fields = uid=mail gid=mail
}}
namespace inbox {{
  inbox = yes
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
service auth {{
  inet_listener {{
    address = 127.0.0.1
    port = {auth}
  }}
}}
protocol lmtp {{
  mail_plugins = sieve
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
}}
"""

POSTFIX_MAIN_CF = """
compatibility_level = 3.6
queue_directory = {root}/spool
data_directory = {root}/pfdata
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = {root}
maillog_file = {root}/postfix.log
myhostname = mx.test
mydomain = test
myorigin = {prober_domain}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
in_flow_delay = 0
smtp_host_lookup = native
lmtp_host_lookup = native
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
virtual_mailbox_domains = {domains}
# Nothing is ever relayed: mail for any other domain bounces here.
default_transport = error:5.7.1 this mail server only delivers locally (sandbox)
relay_transport = error:5.7.1 this mail server only delivers locally (sandbox)
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
lmtp_destination_concurrency_limit = 20
smtpd_reject_unlisted_recipient = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_tls_cert_file = {tls_dir}/server.crt
smtpd_tls_key_file = {tls_dir}/server.key
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{auth}
submission_recipient = check_policy_service inet:127.0.0.1:{policy},
    check_recipient_access texthash:{conf}/recipient_access,
    permit_sasl_authenticated, reject
"""

POSTFIX_MASTER_CF = """
127.0.0.1:{mx} inet n - n - - smtpd
127.0.0.1:{submission} inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=$submission_recipient
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""
