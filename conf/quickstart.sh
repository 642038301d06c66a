#!/bin/bash
# Quick start on Debian 12, as root: install the packages, build and install
# mod_phpbpf, enable it in the system Apache with two sample PHP vhosts
# (shop.test and blog.test on port 80), send them some traffic, and print
# where to look.
#
#   bash conf/quickstart.sh          PHP in mod_php (mpm_prefork)
#   bash conf/quickstart.sh --fpm    PHP in php-fpm behind mod_proxy_fcgi
#                                    (mpm_event), as Debian's php8.2-fpm sets it up
set -euo pipefail
fpm=0
case "${1:-}" in
    --fpm) fpm=1 ;;
    "") ;;
    *) echo "usage: $0 [--fpm]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $(grep -v '^#' conf/debian-packages)

make -f Makefile.apxs
make -f Makefile.apxs install

if [ $fpm = 1 ]; then
    # php-fpm's pool on /run/php/php8.2-fpm.sock; Apache sends .php there
    # (php8.2-fpm.conf's SetHandler), which mod_phpbpf finds by itself.
    a2dismod -q php8.2 mpm_prefork mpm_worker >/dev/null 2>&1 || true
    a2enmod -q mpm_event proxy_fcgi setenvif phpbpf status
    a2enconf -q php8.2-fpm
    service php8.2-fpm restart >/dev/null 2>&1 || /usr/sbin/php-fpm8.2
    for i in $(seq 50); do [ -S /run/php/php8.2-fpm.sock ] && break; sleep 0.1; done
else
    # mod_php needs prefork; Debian's php package usually switches to it.
    a2dismod -q mpm_event mpm_worker proxy_fcgi >/dev/null 2>&1 || true
    a2disconf -q php8.2-fpm >/dev/null 2>&1 || true
    a2enmod -q mpm_prefork php8.2 phpbpf status
fi

demo=/var/www/phpbpf-demo
for site in shop blog; do
    mkdir -p "$demo/$site"
    cat > /etc/apache2/sites-available/phpbpf-$site.conf <<CONF
<VirtualHost *:80>
    ServerName $site.test
    DocumentRoot $demo/$site
</VirtualHost>
CONF
    a2ensite -q phpbpf-$site
done
# shop: a slowish page with includes and a simulated database wait;
# blog: a fast page that sometimes fails.
cat > $demo/shop/index.php <<'PHP'
<?php
usleep(random_int(8000, 25000));           // stands in for the database
echo str_repeat("product ", 50), hash('sha256', random_bytes(1024));
PHP
cat > $demo/blog/index.php <<'PHP'
<?php
if (random_int(1, 20) == 1) { http_response_code(500); echo "oops"; exit; }
usleep(random_int(500, 3000));
echo "post ", date('c');
PHP

# A stop and a start, not a restart: a restart cannot change the MPM,
# which switching between mod_php and php-fpm does.
apache2ctl stop >/dev/null 2>&1 || true
for i in $(seq 300); do pgrep -f "^/usr/sbin/apache2 " >/dev/null || break; sleep 0.1; done
apache2ctl start
sleep 2

for i in $(seq 1 200); do
    curl -s -o /dev/null -H 'Host: shop.test' http://127.0.0.1/
    curl -s -o /dev/null -H 'Host: blog.test' http://127.0.0.1/
done

echo
curl -s 'http://127.0.0.1/server-bpf?auto' | grep -E '^(TracingState|TracingReason|FpmPool|PhpRuns|Requests|PhpP50Us)'
echo
echo "mod_phpbpf is running.  Open http://localhost/server-bpf (also ?auto and ?json)."
