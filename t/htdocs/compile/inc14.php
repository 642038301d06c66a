<?php
function f_14() { return 14; }
