<?php
function f_22() { return 22; }
