<?php
function f_26() { return 26; }
