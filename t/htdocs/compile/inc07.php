<?php
function f_07() { return 7; }
