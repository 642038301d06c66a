<?php
// A front controller: every URL of /front/ and /pretty/ comes here
// (FallbackResource, DirectoryIndex, mod_rewrite).  Slow enough for the
// slow log of t/25clienturl.t.
usleep(30000);
echo "front";
