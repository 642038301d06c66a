<?php
function f_17() { return 17; }
