<?php
function f_01() { return 1; }
