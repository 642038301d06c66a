<?php
function f_12() { return 12; }
