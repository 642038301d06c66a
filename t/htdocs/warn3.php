<?php
for ($i = 0; $i < 3; $i++) {
    trigger_error("known warning", E_USER_WARNING);
}
echo "warned";
