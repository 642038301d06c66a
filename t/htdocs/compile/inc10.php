<?php
function f_10() { return 10; }
