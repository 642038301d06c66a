#!/bin/sh
# Inside the test VM (t/vm/init), in the host's root, plain or on
# overlayfs: httpd with mod_phpbpf and every mode on, some PHP requests,
# and what the page says, into the out share ($2).  t/61kernel61.t checks it.
mode=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
uname -r
ip link set lo up
d=/tmp/vm
mkdir -p $d
chmod 755 $d
m=/usr/lib/apache2/modules
cat > $d/httpd.conf <<CONF
ServerRoot "$d"
ServerName 127.0.0.1
Listen 127.0.0.1:8080
PidFile "$d/httpd.pid"
ErrorLog "$d/error_log"
LogLevel info
DefaultRuntimeDir "$d"
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
StartServers 2
MinSpareServers 2
MaxSpareServers 2
User www-data
Group www-data
DocumentRoot "$top/t/htdocs"
<Directory "$top/t/htdocs">
    Require all granted
</Directory>
LogFormat "%v %>s \"%r\"" vm
CustomLog "$d/access_log" vm
LoadModule php_module $m/libphp8.2.so
<FilesMatch "\.php\$">
    SetHandler application/x-httpd-php
</FilesMatch>
LoadModule phpbpf_module "$top/mod_phpbpf/.libs/mod_phpbpf.so"
PhpBpfHelper "$top/helper/phpbpf-helper"
PhpBpfCompileTracing On
PhpBpfCpuTracing On
PhpBpfSlowThreshold 80ms
PhpBpfProfileHz 199
<Location /server-bpf>
    SetHandler server-bpf
</Location>
CONF
/usr/sbin/apache2 -f $d/httpd.conf -k start || exit 1
get() { curl -s -m 60 "http://127.0.0.1:8080$1"; }
i=0
until get '/server-bpf?auto' | grep -q 'TracingState: active'; do
    i=$((i + 1))
    [ $i -gt 120 ] && break
    sleep 1
done
get '/server-bpf?auto' | head -3
# What the kernel says of libphp: the mapping's device and inode, the path's.
grep -m1 libphp8.2.so /proc/$(cat $d/httpd.pid)/maps
stat -c 'path: dev %t:%T %D ino %i' $m/libphp8.2.so
for i in $(seq 1 20); do get /hello.php > /dev/null; done
for i in 1 2 3; do get /spin100.php > /dev/null; done
for i in 1 2 3; do get /waits/sleep.php > /dev/null; done
sleep 2
get '/server-bpf?json' > $out/$mode.json
grep -c '\.php' $d/access_log > $out/$mode.requests
bpftool -j prog show > $out/$mode.progs.json
uname -r > $out/$mode.kernel
grep -m1 -o 'verified instructions:.*' $d/error_log > $out/$mode.verified
cat $d/error_log | grep -v "trace[0-9]" | tail -50
/usr/sbin/apache2 -f $d/httpd.conf -k stop
sleep 2
