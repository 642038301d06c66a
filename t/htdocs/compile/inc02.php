<?php
function f_02() { return 2; }
