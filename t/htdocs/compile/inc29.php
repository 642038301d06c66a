<?php
function f_29() { return 29; }
