<?php
// A warning whose text holds a quote, a backslash and a byte that is not
// UTF-8 (t/80errors.t: the page shows it escaped once).
trigger_error("bad \"q\" \\ \xff here", E_USER_WARNING);
echo "ok\n";
